from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "guichet.oidc"
