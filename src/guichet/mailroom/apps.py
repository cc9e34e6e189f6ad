from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailroomConfig(AppConfig):
    name = "guichet.mailroom"
    verbose_name = _("Courriels et courriers entrants")
