from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuplicatesConfig(AppConfig):
    name = "guichet.duplicates"
    verbose_name = _("Doublons et problèmes récurrents")
