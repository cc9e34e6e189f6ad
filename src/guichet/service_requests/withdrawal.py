"""The citizen withdraws a request that the service has not processed yet.

« Not yet processed » means, all of:

- the request was sent (not a draft), is not anonymised, not closed (no final status), not withdrawn already and
  not merged into another request;
- the service has sent no written answer (`answered_at` is empty);
- the request is still in its workflow's initial status (nobody has moved it on), or the service is waiting for
  the citizen (a request for more information the citizen may prefer not to answer).

Withdrawing records when (`withdrawn_at`) and closes the request (`closed_at`), stops it waiting for the citizen,
deletes its pending workflow timers (`workflows.models.PendingTimer`), bumps its `lock_version` (an agent's page
opened before is refused by the engine), writes a visible WITHDRAWN event with the citizen's optional reason and
tells the agents of the request's service (message kind « request.withdrawn »), all in one transaction with the
request's row locked: a double click or two tabs withdraw it once. A withdrawn request offers no workflow button
(`workflows.engine._buttons_for`) and takes no more messages (`messaging`).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import RequestEvent, ServiceRequest
from .services import add_event

MAX_REASON_LENGTH = 1000


class WithdrawalRefused(Exception):
    """The request cannot be withdrawn; `message` is French and meant for the citizen."""

    def __init__(self, message, *, already=False):
        super().__init__(message)
        self.message = message
        self.already = already


def refusal(service_request):
    """None when the request may be withdrawn now, else a French sentence saying why not."""
    if not service_request.is_submitted or service_request.anonymised_at is not None:
        return _("Cette demande ne peut pas être retirée.")
    if service_request.withdrawn_at is not None:
        return _("Vous avez déjà retiré cette demande.")
    if service_request.merged_into_id is not None:
        return _("Cette demande est regroupée avec une autre : elle ne peut plus être retirée.")
    if service_request.closed_at is not None:
        return _("Cette demande est close : elle ne peut plus être retirée.")
    if service_request.answered_at is not None:
        return _("Le service vous a déjà répondu : la demande ne peut plus être retirée.")
    if service_request.waiting_for_citizen:
        return None
    initial = (service_request.version.workflow or {}).get("initial") or ""
    if service_request.status and service_request.status != initial:
        return _(
            "Le service a commencé à traiter cette demande : elle ne peut plus être retirée. Écrivez-lui si vous "
            "n'en avez plus besoin."
        )
    return None


def may_withdraw(service_request):
    return refusal(service_request) is None


def withdraw(service_request, citizen, reason=""):
    """Withdraw the request for its citizen (None: its submitter without an account) → the WITHDRAWN event.

    Raises WithdrawalRefused (French message; `already` when it was withdrawn before, e.g. a double click).
    """
    from guichet.workflows.models import PendingTimer

    from .messaging import tell_service

    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise WithdrawalRefused(_("Le motif est trop long (%(max)s caractères au plus).") % {"max": MAX_REASON_LENGTH})
    with transaction.atomic():
        locked = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("version", "organisation", "service", "citizen")
            .get(pk=service_request.pk)
        )
        problem = refusal(locked)
        if problem:
            raise WithdrawalRefused(problem, already=locked.withdrawn_at is not None)
        now = timezone.now()
        locked.withdrawn_at = locked.closed_at = now
        locked.waiting_for_citizen = False
        locked.information_request = ""
        locked.lock_version += 1
        locked.save(update_fields=["withdrawn_at", "closed_at", "waiting_for_citizen", "information_request",
                                   "lock_version", "updated_at"])
        PendingTimer.objects.filter(request=locked).delete()
        event = add_event(locked, RequestEvent.Kind.WITHDRAWN, actor=citizen, visible_to_citizen=True, text=reason,
                          at=now)
        tell_service(locked, "request.withdrawn", reason, citizen)
    for name in ("withdrawn_at", "closed_at", "waiting_for_citizen", "information_request", "lock_version",
                 "updated_at"):
        setattr(service_request, name, getattr(locked, name))
    return event
