"""URLs of the webhooks app (administrators, under /agents/admin/webhooks/)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("nouveau/", views.subscription_create, name="create"),
    path("<int:pk>/", views.subscription_edit, name="edit"),
    path("<int:pk>/activation/", views.subscription_activation, name="activation"),
    path("<int:pk>/secret/", views.subscription_renew, name="renew"),
    path("<int:pk>/supprimer/", views.subscription_delete, name="delete"),
    path("<int:pk>/tester/", views.subscription_ping, name="ping"),
    path("envois/", views.delivery_list, name="deliveries"),
    path("envois/<int:pk>/", views.delivery_detail, name="delivery"),
    path("envois/<int:pk>/rejouer/", views.delivery_replay, name="replay"),
]
