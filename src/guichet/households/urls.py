from django.urls import path

from . import views

app_name = "households"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("ajouter/", views.member_add, name="add"),
    path("<int:pk>/modifier/", views.member_edit, name="edit"),
    path("<int:pk>/supprimer/", views.member_delete, name="delete"),
]
