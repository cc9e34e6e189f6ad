"""Background jobs of requests."""

import datetime

from django.core.mail import EmailMessage

from guichet.background.scheduler import periodic
from guichet.background.tasks import durable_task


@periodic(daily_at=datetime.time(4, 15))
@durable_task
def delete_orphan_files():
    """Every night: delete the private files no row points to any more."""
    from .storage import delete_orphan_files as delete

    return delete()


@durable_task
def send_receipt_to_contact(request_id):
    """E-mail the receipt to the submitter of a request made without an account (art. R. 112-11-2 CRPA: to the
    address they gave). Rendered with the collectivité's wording of the `request.receipt` message."""
    from guichet.accounts.models import User
    from guichet.notifications.services import render_message

    from .models import ServiceRequest
    from .receipt import notification_variables

    service_request = (
        ServiceRequest.objects.select_related("organisation", "version", "service").filter(pk=request_id).first()
    )
    if service_request is None or not service_request.contact_email or service_request.anonymised_at:
        return "nothing to send"
    organisation = service_request.organisation
    # Who the message greets: the contact, not a stored account.
    recipient = User(organisation=organisation, email=service_request.contact_email,
                     last_name=service_request.contact_name)
    texts = render_message(organisation, recipient, "request.receipt", notification_variables(service_request),
                           link=follow_link(service_request))
    EmailMessage(
        subject=texts.subject, body=texts.body, from_email=organisation.from_email,
        to=[service_request.contact_email],
    ).send()
    return "sent"


def follow_link(service_request):
    """Submitters without an account follow their request from the « Suivre une demande » page."""
    from django.urls import reverse

    return reverse("service_requests:follow")
