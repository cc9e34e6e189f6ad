"""The workflow editor, under /agents/admin/circuits/."""

from django.urls import path

from . import views

app_name = "workflows"
urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("nouveau/", views.workflow_create, name="create"),
    path("importer/", views.workflow_import, name="import"),
    path("<int:pk>/", views.workflow_edit, name="edit"),
    path("<int:pk>/supprimer/", views.workflow_delete, name="delete"),
    path("<int:pk>/export.json", views.workflow_export, name="export"),
    path("<int:pk>/importer/", views.workflow_import, name="import_into"),
    path("<int:pk>/statuts/nouveau/", views.status_add, name="status_add"),
    path("<int:pk>/statuts/<slug:sid>/", views.status_edit, name="status"),
    path("<int:pk>/statuts/<slug:sid>/supprimer/", views.status_delete, name="status_delete"),
    path("<int:pk>/statuts/<slug:sid>/deplacer/", views.status_move, name="status_move"),
    path("<int:pk>/statuts/<slug:sid>/actions/nouvelle/", views.action_add, name="action_add"),
    path("<int:pk>/statuts/<slug:sid>/actions/<int:index>/supprimer/", views.action_delete, name="action_delete"),
    path("<int:pk>/statuts/<slug:sid>/actions/<int:index>/deplacer/", views.action_move, name="action_move"),
    path("<int:pk>/statuts/<slug:sid>/boutons/nouveau/", views.button_add, name="button_add"),
    path("<int:pk>/statuts/<slug:sid>/boutons/<slug:bid>/", views.button_edit, name="button"),
    path("<int:pk>/statuts/<slug:sid>/boutons/<slug:bid>/supprimer/", views.button_delete, name="button_delete"),
    path("<int:pk>/statuts/<slug:sid>/boutons/<slug:bid>/deplacer/", views.button_move, name="button_move"),
    path("<int:pk>/statuts/<slug:sid>/boutons/<slug:bid>/actions/nouvelle/", views.action_add,
         name="button_action_add"),
    path("<int:pk>/statuts/<slug:sid>/boutons/<slug:bid>/actions/<int:index>/supprimer/", views.action_delete,
         name="button_action_delete"),
    path("<int:pk>/statuts/<slug:sid>/boutons/<slug:bid>/actions/<int:index>/deplacer/", views.action_move,
         name="button_action_move"),
    path("<int:pk>/statuts/<slug:sid>/delais/nouveau/", views.timer_add, name="timer_add"),
    path("<int:pk>/statuts/<slug:sid>/delais/<int:index>/supprimer/", views.timer_delete, name="timer_delete"),
]
