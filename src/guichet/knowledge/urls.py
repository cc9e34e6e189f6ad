"""The agents' knowledge base, under /agents/connaissances/."""

from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("", views.sheet_list, name="list"),
    path("recherche/", views.search, name="search"),
    path("nouvelle/", views.sheet_create, name="create"),
    path("<int:pk>/", views.sheet_detail, name="detail"),
    path("<int:pk>/modifier/", views.sheet_edit, name="edit"),
    path("<int:pk>/versions/comparer/", views.version_compare, name="compare"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path("<int:pk>/versions/<int:number>/reprendre/", views.version_restore, name="restore"),
    path("themes/", views.theme_list, name="themes"),
    path("themes/<int:pk>/", views.theme_edit, name="theme_edit"),
    path("themes/<int:pk>/supprimer/", views.theme_delete, name="theme_delete"),
]
