from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("", views.document_list, name="list"),
    path("<int:pk>/fichier/", views.document_file, name="file"),
    path("<int:pk>/supprimer/", views.document_delete, name="delete"),
]
