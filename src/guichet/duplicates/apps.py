from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuplicatesConfig(AppConfig):
    name = "guichet.duplicates"
    verbose_name = _("Doublons et problèmes récurrents")

    def ready(self):
        from django.db import connections
        from django.db.backends.signals import connection_created

        from .addresses import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="guichet_address_key")
        for connection in connections.all(initialized_only=True):  # opened before the app was ready
            register_sqlite_function(None, connection)
