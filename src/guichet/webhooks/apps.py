from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "guichet.webhooks"
    verbose_name = _("Webhooks sortants (abonnements aux événements des demandes)")

    def ready(self):
        from guichet.service_requests.models import RequestEvent

        from .signals import request_event_saved

        post_save.connect(request_event_saved, sender=RequestEvent, dispatch_uid="webhooks.request_event_saved")
