from django.urls import path

from guichet.accounts.views import _placeholder

app_name = "households"
urlpatterns = [path("", _placeholder, name="list")]
