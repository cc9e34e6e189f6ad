from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "guichet.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from . import signals  # noqa: F401 — connects the receivers
