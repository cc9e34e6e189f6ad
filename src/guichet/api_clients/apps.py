from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiClientsConfig(AppConfig):
    name = "guichet.api_clients"
    verbose_name = _("Clients des interfaces de programmation (API)")
