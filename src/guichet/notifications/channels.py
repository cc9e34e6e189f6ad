"""The three channels a notification travels on. Each sender returns (provider id, result text), raises
PermanentDeliveryError when the message can never go, and any other exception when it may go later."""

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from guichet.organisations.services import organisation_url

from .models import Channel
from .services import PermanentDeliveryError


def message_id(delivery):
    """The same Message-ID for every try of a delivery: a bounce names it, and a resend is recognisable."""
    return make_msgid(idstring=str(delivery.reference), domain=settings.GUICHET_MAIL_DOMAIN)


def bounce_address(delivery):
    """VERP envelope sender: a bounce comes back to an address that names the delivery."""
    local, _at, domain = settings.GUICHET_BOUNCE_ADDRESS.partition("@")
    return f"{local}+{delivery.reference.hex}@{domain}" if local and domain else ""


def build_email(delivery):
    notification = delivery.notification
    organisation = delivery.organisation
    context = {"notification": notification, "organisation": organisation,
               "link": notification.link, "settings_url": organisation_url(organisation, reverse("accounts:profile_edit"))}
    headers = {
        "Message-ID": message_id(delivery),
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        # Where to change how one is contacted (these messages are about one's own requests, not a list).
        "List-Unsubscribe": f"<{context['settings_url']}>",
    }
    if organisation.email:
        headers["Reply-To"] = organisation.email
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=render_to_string("notifications/email.txt", context),
        from_email=organisation.from_email,
        to=[delivery.address],
        headers=headers,
    )
    email.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    envelope_sender = bounce_address(delivery)
    if envelope_sender:
        # The SMTP envelope sender (where bounces go) is the VERP address; the From header stays the town's.
        email.extra_headers["From"] = organisation.from_email
        email.from_email = envelope_sender
    return email


def send_email(delivery):
    email = build_email(delivery)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentDeliveryError(_("Adresse refusée par le serveur de courrier : %(error)s") % {
            "error": error.recipients}) from error
    return email.extra_headers["Message-ID"], _("Accepté par le serveur de courrier")


def send_sms(delivery):
    from guichet.sms.gateways import SmsPermanentError, get_gateway

    try:
        sent = get_gateway(delivery.organisation).send(
            delivery.address, delivery.content, reference=str(delivery.reference)
        )
    except SmsPermanentError as error:
        raise PermanentDeliveryError(str(error)) from error
    return sent.provider_id, _("Accepté par l'opérateur SMS (%(n)s SMS)") % {"n": sent.segments}


def send_letter(delivery):
    from guichet.letters.services import add_to_batch

    letter = add_to_batch(delivery)
    return str(letter.pk), _("Courrier ajouté au lot du %(date)s") % {"date": letter.batch.date.strftime("%d/%m/%Y")}


SENDERS = {Channel.EMAIL: send_email, Channel.SMS: send_sms, Channel.LETTER: send_letter}
