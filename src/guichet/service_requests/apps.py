from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRequestsConfig(AppConfig):
    name = "guichet.service_requests"
    verbose_name = _("Demandes des usagers")

    def ready(self):
        from . import commune_updates, signals  # noqa: F401 — connects the receivers (commune_updates: the member
        # commune of an intercommunal request kept informed of its progress)
