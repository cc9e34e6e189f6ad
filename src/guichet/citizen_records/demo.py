"""Demo data of citizen records: a citizen recorded at the counter without e-mail, and requests entered by an agent
at the counter and on the phone (through the real services: start_on_behalf, then submit), so that the look-up,
the record, its one history and the printed receipt have something to show.

`load_demo(organisation)` is called by the demo loader after the catalogue and the demo citizens are loaded; it
runs once per collectivité (a collectivité whose demo citizen without e-mail exists is left as it is).
"""

from django.db import transaction

from guichet.accounts.models import User
from guichet.procedures.models import Procedure
from guichet.service_requests import services as request_services
from guichet.service_requests.models import ServiceRequest

from . import services

PROCEDURE_SLUG = "signalement-voirie"
WITHOUT_EMAIL = {"civility": "mme", "first_name": "Josette", "last_name": "Durand", "address_line": "12 rue du Four",
                 "preferred_channel": User.Channel.LETTER}


def _agent(organisation):
    agents = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_active=True,
                                 totpdevice__confirmed=True).distinct()
    return agents.filter(is_org_admin=True).order_by("pk").first() or agents.order_by("pk").first()


def _report(organisation, street, description):
    return {
        "categorie": "eclairage", "danger": False, "description": description,
        "lieu": {"street": street, "postcode": "", "city": organisation.name, "lat": "48.690000", "lon": "6.180000"},
    }


def _enter(organisation, version, agent, citizen, channel, data, *, send=True):
    draft = services.start_on_behalf(version=version, agent=agent, citizen=citizen, channel=channel, data=data)
    if send:
        try:
            request_services.submit(draft, actor=agent)
        except request_services.Incomplete:
            pass  # the collectivité changed the form: the request stays a draft the agent can finish
    return draft


@transaction.atomic
def load_demo(organisation):
    """Add the demo citizen without e-mail and 3 requests entered by an agent (counter and phone); → how many
    requests were created (0 when already loaded, or without an agent or the street-problem procedure)."""
    if services.citizens(organisation).filter(first_name=WITHOUT_EMAIL["first_name"],
                                              last_name=WITHOUT_EMAIL["last_name"]).exists():
        return 0
    agent = _agent(organisation)
    procedure = (Procedure.objects.of(organisation)
                 .filter(slug=PROCEDURE_SLUG, state=Procedure.State.PUBLISHED, current_version__isnull=False)
                 .select_related("current_version").first())
    josette = services.create_citizen(organisation, agent, postcode=_postcode(organisation), city=organisation.name,
                                      **WITHOUT_EMAIL)
    if agent is None or procedure is None:
        return 0
    version = procedure.current_version
    created = [_enter(organisation, version, agent, josette, ServiceRequest.Channel.COUNTER,
                      _report(organisation, "12 rue du Four", "Le lampadaire devant chez moi clignote toute la nuit."))]
    someone = services.citizens(organisation).exclude(pk=josette.pk).filter(phone__gt="").order_by("pk").first()
    if someone is not None:
        created.append(_enter(organisation, version, agent, someone, ServiceRequest.Channel.PHONE, _report(
            organisation, someone.address_line or "Place de la Mairie",
            "Appel : la rue est dans le noir depuis deux soirs.")))
        created.append(_enter(organisation, version, agent, someone, ServiceRequest.Channel.PHONE, _report(
            organisation, "Parking de la salle des fêtes", "Appel en cours : l'usager rappellera avec l'adresse."),
            send=False))
    return len(created)


def _postcode(organisation):
    """The postcode most demo citizens of the collectivité have (a full address: the receipt goes by letter)."""
    row = (services.citizens(organisation).exclude(postcode="").values_list("postcode", flat=True)
           .order_by("pk").first())
    return row or ""
