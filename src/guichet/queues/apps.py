from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "guichet.queues"
    verbose_name = _("Files d'attente des agents")
