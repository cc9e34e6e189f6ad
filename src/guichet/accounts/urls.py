from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login, name="login"),
    path("deconnexion/", views.logout, name="logout"),
    path("inscription/", views.signup, name="signup"),
    path("inscription/envoyee/", views.signup_done, name="signup_done"),
    path("confirmer/nouveau-lien/", views.confirm_resend, name="confirm_resend"),
    path("confirmer/<str:uidb64>/<str:token>/", views.confirm, name="confirm"),
    path("adresse/confirmer/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("mot-de-passe/oublie/", views.password_reset, name="password_reset"),
    path("mot-de-passe/oublie/envoye/", views.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe/reinitialiser/<str:uidb64>/<str:token>/", views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("mot-de-passe/reinitialise/", views.password_reset_complete, name="password_reset_complete"),
    path("mot-de-passe/changer/", views.password_change, name="password_change"),
    path("modifier/", views.profile_edit, name="profile_edit"),
    path("supprimer/", views.delete, name="delete"),
    path("", views.profile, name="profile"),
]
