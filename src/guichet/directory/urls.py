"""The staff directory, under /agents/annuaire/."""

from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("recherche/", views.search, name="search"),
    path("nouvelle/", views.entry_create, name="create"),
    path("<int:pk>/", views.entry_edit, name="edit"),
    path("<int:pk>/activer/", views.entry_toggle, name="toggle"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("export.csv", views.export_csv, name="export"),
]
