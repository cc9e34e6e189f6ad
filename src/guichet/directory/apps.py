from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "guichet.directory"
    verbose_name = _("Annuaire des agents et des services")

    def ready(self):
        from . import signals  # noqa: F401 — connects the receivers

        # The member commune kept informed of an intercommunal request's progress (not the directory's business:
        # connected here until the requests app's own ready() imports it).
        from guichet.service_requests import commune_updates  # noqa: F401
