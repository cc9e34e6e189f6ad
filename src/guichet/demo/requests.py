"""Demo requests, so that the agents' queues, search, recurring problems and dashboards have something to show.

Each demo commune receives street-problem reports (« Signaler un problème sur la voirie ») from its demo citizens
and from visitors without an account, through the real services: draft, submission (receipt, deadline,
workflow), then the agent's buttons and written answers. Some are overdue, some wait for the citizen, some are
closed with an answer; several report the same pothole, so that duplicates and recurring problems show.
Loaded once per commune: a commune that already has requests is left as it is.
"""

import datetime

from guichet.procedures.models import Procedure
from guichet.service_requests.messaging import post_agent_message
from guichet.service_requests.models import RequestEvent, ServiceRequest
from guichet.service_requests.services import add_event, create_request, submit
from guichet.workflows import engine

PROCEDURE_SLUG = "signalement-voirie"

# (category, danger, description, street, latitude offset, longitude offset, who, what the agent does, age in days)
REPORTS = [
    ("nid-de-poule", True, "Un nid-de-poule profond devant l'école, les vélos font un écart.",
     "2 rue de l'École", 0.0, 0.0, "camille.martin", "recue", 2),
    ("nid-de-poule", True, "Trou dans la chaussée rue de l'École, juste devant le portail.",
     "4 rue de l'École", 0.0002, 0.0001, "visitor", "recue", 1),
    ("nid-de-poule", False, "La chaussée s'affaisse devant l'école depuis les pluies.",
     "3 rue de l'École", 0.0001, 0.0002, "karim.benali", "prise-en-charge", 12),
    ("eclairage", False, "Le lampadaire ne s'allume plus le soir, la rue est très sombre.",
     "14 rue des Lilas", 0.004, -0.003, "camille.martin", "planifiee", 6),
    ("depot-sauvage", False, "Dépôt sauvage de gravats et de meubles au bout du chemin.",
     "8 chemin des Vignes", -0.006, 0.005, "suzanne.leroy", "precision", 4),
    ("trottoir", True, "Dalles du trottoir soulevées par les racines, une personne âgée est tombée.",
     "3 impasse du Moulin", 0.002, 0.006, "karim.benali", "realisee", 20),
    ("proprete", False, "Les poubelles de la place débordent depuis le week-end.",
     "Place de la Mairie", 0.001, -0.001, "visitor", "prise-en-charge", 40),
    ("signalisation", True, "Panneau stop couché au carrefour après un accident.",
     "Carrefour de la Gare", -0.003, -0.004, "camille.martin", "realisee", 9),
]
ANSWER = (
    "Bonjour,\n\nL'équipe des services techniques est intervenue : {what}. Merci de votre signalement, qui nous "
    "aide à garder la commune sûre.\n\nLes services techniques"
)


def _answers(organisation, category, danger, description, street, dlat, dlon, postcode):
    return {
        "categorie": category, "danger": danger, "description": description,
        "lieu": {"street": street, "postcode": postcode, "city": organisation.name,
                 "lat": f"{48.6900 + dlat:.6f}", "lon": f"{6.1800 + dlon:.6f}"},
    }


def _press(service_request, button, agent, **form_data):
    service_request.refresh_from_db()
    engine.press(service_request, button, agent, form_data=form_data)


def load_requests(organisation, citizens, agent, postcode):
    """Create the demo requests of `organisation` (once); `citizens`: {e-mail local part: citizen}."""
    procedure = Procedure.objects.of(organisation).filter(slug=PROCEDURE_SLUG, current_version__isnull=False).first()
    if procedure is None or ServiceRequest.objects.of(organisation).filter(procedure=procedure).exists():
        return 0
    version = procedure.current_version
    created = 0
    for category, danger, description, street, dlat, dlon, who, outcome, age in REPORTS:
        citizen = citizens.get(who)
        fields = {"contact_name": "Paul Passant", "contact_email": "paul.passant@example.org"} if citizen is None else {}
        service_request = create_request(
            organisation=organisation, version=version, procedure=procedure, citizen=citizen,
            channel=ServiceRequest.Channel.WEB if citizen or who != "visitor" else ServiceRequest.Channel.PHONE,
            entered_by=agent if citizen is None else None, service_id=version.service_id,
            data=_answers(organisation, category, danger, description, street, dlat, dlon, postcode), **fields,
        )
        submit(service_request, citizen or agent)
        # The deadline moves back as if the report had come in `age` days ago: some are overdue.
        service_request.refresh_from_db()
        if service_request.deadline:
            deadline = service_request.deadline - datetime.timedelta(days=age)
            ServiceRequest.objects.filter(pk=service_request.pk).update(deadline=deadline)
            add_event(service_request, RequestEvent.Kind.DEADLINE_SET, text=(
                f"Date limite : {deadline:%d/%m/%Y} (données de démonstration : la demande fait comme si elle "
                f"était arrivée il y a {age} jours)."))
        if outcome in ("prise-en-charge", "planifiee", "precision", "realisee"):
            _press(service_request, "qualifier", agent)
        if outcome == "planifiee":
            _press(service_request, "planifier", agent)
        if outcome == "precision":
            _press(service_request, "preciser", agent,
                   message="Pouvez-vous nous envoyer une photo du dépôt et préciser s'il gêne le passage ?")
        if outcome == "realisee":
            _press(service_request, "planifier", agent)
            service_request.refresh_from_db()
            post_agent_message(service_request, agent, ANSWER.format(what=description[0].lower() + description[1:-1]),
                               answer=True)
            _press(service_request, "realisee", agent)
        created += 1
    return created
