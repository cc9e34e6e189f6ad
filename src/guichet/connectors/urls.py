"""URLs of the connectors app."""

urlpatterns = []
