from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormdefsConfig(AppConfig):
    name = "guichet.formdefs"
    verbose_name = _("Formulaires des démarches")
