from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "guichet.workflows"
    verbose_name = _("Circuits de traitement")
