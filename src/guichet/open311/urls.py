"""URLs of the open311 app."""

urlpatterns = []
