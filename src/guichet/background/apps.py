from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackgroundConfig(AppConfig):
    name = "guichet.background"
    verbose_name = _("Travaux en arrière-plan")
