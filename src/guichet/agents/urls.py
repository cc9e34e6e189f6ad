from django.urls import path

from guichet.accounts.views import _placeholder

app_name = "agents"
urlpatterns = [
    path("connexion/", _placeholder, name="login"),
    path("", _placeholder, name="home"),
    path("admin/", _placeholder, name="admin_home"),
]
