"""The citizen's e-mails and letters in their one history (`citizen_records.history`): one query."""

from django.urls import reverse
from django.utils.translation import gettext as _

from guichet.citizen_records.history import HistoryItem

from .models import IncomingMail

LIMIT = 200


def history_items(organisation, citizen):
    """HistoryItems of the messages of `citizen` received by `organisation`, most recent first (at most LIMIT)."""
    if organisation is None or citizen is None:
        return []
    mails = (
        IncomingMail.objects.of(organisation).filter(citizen=citizen)
        .select_related("request", "handled_by")
        .only("pk", "registry_number", "channel", "state", "received_at", "subject", "request__tracking_code",
              "handled_by__first_name", "handled_by__last_name", "handled_by__email")
        .order_by("-received_at", "-pk")[:LIMIT]
    )
    labels = {IncomingMail.Channel.EMAIL: _("Courriel reçu"), IncomingMail.Channel.POSTAL: _("Courrier reçu")}
    items = []
    for mail in mails:
        detail = mail.get_state_display()
        if mail.request_id:
            detail = _("%(state)s : demande %(code)s") % {"state": detail, "code": mail.request.tracking_code}
        handler = mail.handled_by
        items.append(HistoryItem(
            at=mail.received_at, channel=mail.channel, kind="mail",
            label=f"{labels.get(mail.channel, _('Message reçu'))} : {mail.subject or mail.registry_number}",
            detail=detail, url=reverse("mailroom:detail", args=[mail.pk]),
            agent=(handler.get_full_name() or handler.email) if handler else "",
            extra={"registry_number": mail.registry_number, "state": mail.state,
                   "request": mail.request.tracking_code if mail.request_id else ""},
        ))
    return items
