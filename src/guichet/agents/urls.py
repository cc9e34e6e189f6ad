from django.urls import path

from . import views, views_admin, views_settings

app_name = "agents"
urlpatterns = [
    path("connexion/", views.login, name="login"),
    path("connexion/code/", views.verify, name="verify"),
    path("connexion/application/", views.totp_setup, name="totp_setup"),
    path("mot-de-passe/<uidb64>/<token>/", views.set_password, name="set_password"),
    path("", views.home, name="home"),
    path("admin/", views_admin.admin_home, name="admin_home"),
    path("admin/services/", views_admin.service_list, name="service_list"),
    path("admin/services/nouveau/", views_admin.service_create, name="service_create"),
    path("admin/services/<int:pk>/", views_admin.service_edit, name="service_edit"),
    path("admin/services/<int:pk>/activation/", views_admin.service_toggle, name="service_toggle"),
    path("admin/agents/", views_admin.agent_list, name="agent_list"),
    path("admin/agents/nouveau/", views_admin.agent_create, name="agent_create"),
    path("admin/agents/<int:pk>/", views_admin.agent_edit, name="agent_edit"),
    path("admin/agents/<int:pk>/activation/", views_admin.agent_toggle, name="agent_toggle"),
    path("admin/agents/<int:pk>/double-authentification/", views_admin.agent_reset_totp, name="agent_reset_totp"),
    path("admin/agents/<int:pk>/invitation/", views_admin.agent_invite, name="agent_invite"),
    path("admin/collectivite/", views_settings.organisation_settings, name="organisation_settings"),
]
