from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "guichet.knowledge"
    verbose_name = _("Base de connaissances et questions fréquentes")
