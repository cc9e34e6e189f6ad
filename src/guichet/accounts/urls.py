from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login, name="login"),
    path("deconnexion/", views.logout, name="logout"),
    path("inscription/", views.signup, name="signup"),
    path("", views.profile, name="profile"),
]
