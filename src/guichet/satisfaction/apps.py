from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "guichet.satisfaction"
    verbose_name = _("Avis des usagers et réouvertures")

    def ready(self):
        from . import signals  # noqa: F401 — anonymisation erases the citizens' words
