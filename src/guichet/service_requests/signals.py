"""A citizen who deletes their account: drafts go, submitted requests stay with the collectivité, anonymised."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from guichet.accounts.signals import citizen_erased

from .models import ServiceRequest
from .services import delete_draft


@receiver(citizen_erased)
def anonymise_requests(sender, user, **kwargs):
    from guichet.workflows.services import anonymise

    for service_request in ServiceRequest.objects.filter(citizen=user):
        if service_request.is_draft:
            delete_draft(service_request)
        else:
            anonymise(service_request, reason=_("Données personnelles effacées : l'usager a supprimé son compte."))
