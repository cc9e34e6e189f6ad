"""Recherche des demandes."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "guichet.search"
    verbose_name = _("Recherche des demandes")

    def ready(self):
        from . import signals  # noqa: F401
