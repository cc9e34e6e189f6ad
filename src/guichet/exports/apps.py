from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "guichet.exports"
    verbose_name = _("Exports de listes de demandes")
