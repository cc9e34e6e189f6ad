from django.urls import path

from . import views_admin as views

app_name = "procedures_admin"
urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("nouvelle/", views.procedure_create, name="create"),
    path("importer/", views.procedure_import, name="import"),
    path("catalogue/", views.catalogue_import, name="catalogue"),
    path("<int:pk>/", views.procedure_detail, name="detail"),
    path("<int:pk>/reglages/", views.procedure_settings, name="settings"),
    path("<int:pk>/supprimer/", views.procedure_delete, name="delete"),
    path("<int:pk>/formulaire/", views.form_builder, name="form"),
    path("<int:pk>/formulaire/apercu/", views.form_preview, name="preview"),
    path("<int:pk>/formulaire/pages/ajouter/", views.page_add, name="page_add"),
    path("<int:pk>/formulaire/pages/<str:page_id>/", views.page_edit, name="page_edit"),
    path("<int:pk>/formulaire/pages/<str:page_id>/ajouter/", views.field_add, name="field_add"),
    path("<int:pk>/formulaire/champs/<str:field_id>/", views.field_edit, name="field_edit"),
    path("<int:pk>/formulaire/blocs/<str:block_id>/ajouter/", views.field_add, {"page_id": None},
         name="block_field_add"),
    path("<int:pk>/formulaire/blocs/<str:block_id>/champs/<str:field_id>/", views.field_edit,
         name="block_field_edit"),
    path("<int:pk>/formulaire/deplacer/", views.item_move, name="move"),
    path("<int:pk>/formulaire/supprimer/", views.item_delete, name="item_delete"),
    path("<int:pk>/publier/", views.procedure_publish, name="publish"),
    path("<int:pk>/archiver/", views.procedure_archive, name="archive"),
    path("<int:pk>/versions/", views.version_list, name="versions"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path("<int:pk>/export/", views.procedure_export, name="export"),
]
