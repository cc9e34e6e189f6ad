"""The citizen's calls and visits at the counter, for the one history of citizen_records (one query)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from guichet.citizen_records.history import HistoryItem

from .models import Contact
from .services import format_duration, outcome_detail

MAX_ITEMS = 200  # the record shows the most recent contacts (citizen_history keeps 200 in all)


def history_items(organisation, citizen):
    """[HistoryItem] of the citizen's contacts with this collectivité, most recent first (at most MAX_ITEMS)."""
    contacts = (
        Contact.objects.of(organisation).filter(citizen=citizen)
        .select_related("agent", "transferred_to_service", "transferred_to_agent", "created_request")
        .order_by("-started_at", "-pk")[:MAX_ITEMS]
    )
    items = []
    for contact in contacts:
        is_call = contact.kind == Contact.Kind.CALL
        reason = contact.reason or _("motif non renseigné")
        label = (_("Appel téléphonique : %(reason)s") if is_call else _("Passage à l'accueil : %(reason)s")) % {
            "reason": reason}
        detail = outcome_detail(contact)
        if contact.duration is not None:
            detail = f"{detail} — {format_duration(contact.duration)}"
        items.append(HistoryItem(
            at=contact.started_at, channel="phone" if is_call else "counter", kind="call" if is_call else "visit",
            label=label, detail=detail, url=reverse("contact_centre:contact", args=[contact.pk]),
            agent=(contact.agent.get_full_name() or contact.agent.email) if contact.agent_id else "",
            extra={"contact_id": contact.pk, "outcome": contact.outcome},
        ))
    return items
