app_name = "oidc"
urlpatterns = []
