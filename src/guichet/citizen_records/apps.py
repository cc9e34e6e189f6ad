from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizenRecordsConfig(AppConfig):
    name = "guichet.citizen_records"
    verbose_name = _("Fiches usagers et saisie pour le compte d'un usager")
