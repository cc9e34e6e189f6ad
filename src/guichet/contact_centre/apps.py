from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactCentreConfig(AppConfig):
    name = "guichet.contact_centre"
    verbose_name = _("Centre de contacts (appels et passages à l'accueil)")
