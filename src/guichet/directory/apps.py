from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "guichet.directory"
    verbose_name = _("Annuaire des agents et des services")

    def ready(self):
        from . import signals  # noqa: F401 — connects the receivers
