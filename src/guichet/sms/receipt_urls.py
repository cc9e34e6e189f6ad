from django.urls import path

from . import views

app_name = "sms"
urlpatterns = [
    path("accuses/<str:token>/", views.receipt, name="receipt"),
]
