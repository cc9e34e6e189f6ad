"""Demo data of the contact centre: extensions for the demo agents, a telephony secret whose clear value is known,
and a few past calls and visits. `load_demo(organisation)` is idempotent (run it again: nothing is doubled).

The demo secret of a collectivité is `demo_secret(organisation)`: « demo-telephonie-<slug> », e.g.

    curl -X POST http://saint-aubin.localhost:8000/api/telephonie/appels-entrants/ \
         -H "Authorization: Bearer demo-telephonie-saint-aubin" -H "Content-Type: application/json" \
         -d '{"call_id": "demo-1", "caller": "06 12 34 56 78", "extension": "204"}'
"""

import datetime

from django.db import transaction
from django.utils import timezone

from guichet.accounts.models import User
from guichet.agents.models import Service
from guichet.service_requests.models import ServiceRequest

from . import services
from .models import Contact

# The demo agents' extensions, by the local part of their e-mail (guichet.demo.data.AGENTS).
EXTENSIONS = {"admin": "201", "responsable": "202", "agent": "204", "elu": "205"}


def demo_secret(organisation):
    return f"demo-telephonie-{organisation.slug}"


@transaction.atomic
def load_demo(organisation):
    """Extensions, the demo secret and a few logged contacts for `organisation` → the clear demo secret."""
    agents = {}
    for agent in User.objects.filter(organisation=organisation, kind=User.Kind.AGENT):
        local = agent.email.split("@")[0]
        if local in EXTENSIONS:
            if agent.phone_extension != EXTENSIONS[local]:
                agent.phone_extension = EXTENSIONS[local]
                agent.save(update_fields=["phone_extension"])
            agents[local] = agent
    clear = demo_secret(organisation)
    services.install_secret(organisation, clear, label="Démonstration")
    taker = agents.get("agent") or next(iter(agents.values()), None)
    if taker is None or Contact.objects.of(organisation).exists():
        return clear
    citizens = list(User.objects.filter(organisation=organisation, kind=User.Kind.CITIZEN).order_by("pk")[:3])
    now = timezone.now()
    service = Service.objects.of(organisation).filter(is_active=True).order_by("name").first()
    past = [
        (Contact.Kind.CALL, 0, 3, "Horaires de la déchèterie", Contact.Outcome.ANSWERED, ""),
        (Contact.Kind.CALL, 1, 6, "Suivi de sa demande", Contact.Outcome.ANSWERED,
         "L'usager voulait savoir où en était sa demande ; délai rappelé."),
        (Contact.Kind.VISIT, 2, 12, "Inscription à la cantine", Contact.Outcome.TRANSFERRED,
         "Orienté vers le service concerné."),
        (Contact.Kind.CALL, 0, 2, "Bruit de voisinage", Contact.Outcome.OTHER, "Renvoyé vers la police municipale."),
    ]
    for index, (kind, citizen_index, minutes, reason, outcome, notes) in enumerate(past):
        citizen = citizens[citizen_index] if citizen_index < len(citizens) else None
        started = now - datetime.timedelta(days=index + 1, hours=2)
        contact = Contact.objects.create(
            organisation=organisation, kind=kind, agent=taker, citizen=citizen, started_at=started,
            caller_number=citizen.phone.as_e164 if citizen and citizen.phone and kind == Contact.Kind.CALL else "",
        )
        related = None
        if citizen is not None and reason == "Suivi de sa demande":
            related = ServiceRequest.objects.of(organisation).filter(
                citizen=citizen, state=ServiceRequest.State.SUBMITTED).order_by("-submitted_at").first()
        contact.ended_at = started + datetime.timedelta(minutes=minutes)
        contact.save(update_fields=["ended_at"])
        services.log_contact(
            contact, taker, reason=reason,
            outcome=outcome if (outcome != Contact.Outcome.TRANSFERRED or service) else Contact.Outcome.OTHER,
            notes=notes, transferred_to_service=service if outcome == Contact.Outcome.TRANSFERRED else None,
            related_request=related, now=contact.ended_at,
        )
    return clear
