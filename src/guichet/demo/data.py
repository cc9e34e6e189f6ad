"""The demo installation: an intercommunal body, three member communes, their services, agents and citizens.

Everything is keyed by slug or e-mail, so loading it again updates what is there and adds nothing twice.
"""

import datetime
import hashlib
from base64 import b32encode

from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts.models import User
from guichet.agents.models import Membership, Service
from guichet.households.models import HouseholdMember
from guichet.notifications.models import Notification
from guichet.notifications.services import notify
from guichet.organisations.models import Organisation
from guichet.procedures.exchange import load_catalogue

DEMO_PASSWORD = "demo-guichet-2026"  # noqa: S105 — the demo's published password
OPERATOR_EMAIL = "operateur@guichet.localhost"

EPCI = {
    "slug": "val-fleuri",
    "name": "Communauté de communes du Val Fleuri",
    "postcode": "54470",
    "city": "Saint-Aubin",
    "insee_code": "245400999",
    "primary_colour": "#1d5e3a",
    "secondary_colour": "#6b2d5c",
    "address": "2 rue des Tilleuls\n54470 Saint-Aubin",
    "phone": "03 83 00 10 00",
    "email": "contact@val-fleuri.localhost",
    "opening_hours": "Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h 30 à 17 h",
    "services": ["Collecte des déchets", "Petite enfance", "Eau et assainissement", "Développement économique"],
}
COMMUNES = [
    {
        "slug": "saint-aubin", "name": "Saint-Aubin", "insee_code": "54470", "postcode": "54470",
        "primary_colour": "#1f4e8c", "secondary_colour": "#8a1c1c",
        "address": "Hôtel de ville\n1 place de la Mairie\n54470 Saint-Aubin",
        "phone": "03 83 00 20 00", "email": "mairie@saint-aubin.localhost",
        "opening_hours": "Lundi au vendredi 8 h 30 – 12 h, 14 h – 17 h 30 ; samedi 9 h – 12 h",
    },
    {
        "slug": "montclair", "name": "Montclair", "insee_code": "54380", "postcode": "54380",
        "primary_colour": "#5c2d91", "secondary_colour": "#0b5563",
        "address": "Mairie de Montclair\n3 rue de l'Église\n54380 Montclair",
        "phone": "03 83 00 30 00", "email": "accueil@montclair.localhost",
        "opening_hours": "Lundi, mardi, jeudi 9 h – 12 h et 14 h – 17 h",
    },
    {
        "slug": "bourg-la-riviere", "name": "Bourg-la-Rivière", "insee_code": "54095", "postcode": "54390",
        "primary_colour": "#9a3412", "secondary_colour": "#1e3a5f",
        "address": "Mairie\n12 quai des Mariniers\n54095 Bourg-la-Rivière",
        "phone": "03 83 00 40 00", "email": "mairie@bourg-la-riviere.localhost",
        "opening_hours": "Du lundi au vendredi, 9 h – 12 h",
    },
]
COMMUNE_SERVICES = ["État civil", "Scolaire", "Services techniques", "CCAS", "Urbanisme", "Police municipale"]

LEGAL_NOTICES = (
    "Éditeur : {name}. Directeur de la publication : le maire (ou le président).\n\n"
    "Données personnelles : les informations recueillies sont traitées par {name} pour instruire vos demandes. "
    "Vous pouvez exercer vos droits d'accès, de rectification et d'effacement depuis votre compte ou en écrivant "
    "à {email}.\n\nHébergement : installation Guichet de démonstration."
)

# One agent of every role per collectivité: (e-mail local part, first name, last name, role, admin?, job title)
AGENTS = [
    ("admin", "Agnès", "Administratrice", Membership.Role.MANAGER, True, "Directrice générale des services"),
    ("responsable", "Bruno", "Responsable", Membership.Role.MANAGER, False, "Chef de service"),
    ("agent", "Chloé", "Agent", Membership.Role.AGENT, False, "Agente d'accueil"),
    ("elu", "Denis", "Élu", Membership.Role.ELECTED, False, "Adjoint au maire"),
]
# Citizens: (e-mail local part, civility, first, last, birth date, address, phone, channel, household)
CITIZENS = [
    ("camille.martin", "mme", "Camille", "Martin", datetime.date(1986, 4, 12), "14 rue des Lilas", "06 12 34 56 78",
     User.Channel.EMAIL,
     [("spouse", "m", "Julien", "Martin", datetime.date(1984, 9, 3)),
      ("child", "f", "Léa", "Martin", datetime.date(2015, 2, 20)),
      ("child", "m", "Hugo", "Martin", datetime.date(2018, 11, 7))]),
    ("karim.benali", "m", "Karim", "Benali", datetime.date(1972, 1, 30), "3 impasse du Moulin", "07 98 76 54 32",
     User.Channel.SMS,
     [("adult", "mme", "Fatima", "Benali", datetime.date(1948, 6, 15))]),
    ("suzanne.leroy", "mme", "Suzanne", "Leroy", datetime.date(1941, 8, 22), "8 chemin des Vignes", "",
     User.Channel.LETTER, []),
]


def demo_totp_key(email):
    """A fixed TOTP key per demo agent, so that its authenticator set-up survives a reload of the demo."""
    return hashlib.sha1(f"guichet-demo:{email}".encode()).hexdigest()  # noqa: S324 — not a security hash


def base32_secret(hex_key):
    return b32encode(bytes.fromhex(hex_key)).decode()


def current_code(hex_key):
    return f"{totp(bytes.fromhex(hex_key)):06d}"


def _slugify_service(name):
    from django.utils.text import slugify

    return slugify(name)


def _organisation(data, **extra):
    fields = {key: value for key, value in data.items() if key not in {"slug", "services", "postcode", "city"}}
    fields.update(extra)
    fields["legal_notices"] = LEGAL_NOTICES.format(name=data["name"], email=data["email"])
    organisation, _ = Organisation.objects.update_or_create(slug=data["slug"], defaults=fields)
    return organisation


def _services(organisation, names):
    return [
        Service.objects.update_or_create(
            organisation=organisation, slug=_slugify_service(name),
            defaults={"name": name, "description": f"Service {name} de {organisation.name}."},
        )[0]
        for name in names
    ]


# Answer templates of the demo services (guichet.answers), by service name; None: common to every service.
GREETING = "{% if destinataire.civilite %}{{ destinataire.civilite }} {{ destinataire.nom }}{% else %}Bonjour{% endif %},\n\n"
SIGNATURE = "\n\nLes services de {{ collectivite.nom }}"
ANSWER_TEMPLATES = {
    None: [
        ("Demande traitée", "Votre demande « {{ demande.titre }} » ({{ demande.code }}) a été traitée. Vous "
         "pouvez en suivre le détail à l'adresse {{ lien }}."),
        ("Hors de nos compétences", "Votre demande {{ demande.code }} ne relève pas des compétences de "
         "{{ collectivite.nom }}. Nous l'avons transmise au service compétent, qui vous répondra directement."),
    ],
    "État civil": [
        ("Acte envoyé", "L'acte que vous avez demandé ({{ demande.code }}) vous a été envoyé par courrier ce jour."),
        ("Acte introuvable", "Nous n'avons pas trouvé l'acte demandé dans nos registres. Il a peut-être été dressé "
         "dans une autre commune : adressez-vous à la mairie du lieu de l'événement."),
    ],
    "Services techniques": [
        ("Intervention réalisée", "Nos équipes sont intervenues à la suite de votre signalement {{ demande.code }}. "
         "Merci de nous avoir aidés à entretenir l'espace public."),
        ("Intervention programmée", "Votre signalement {{ demande.code }} est pris en compte : une intervention est "
         "programmée avant le {{ demande.date_limite }}."),
    ],
    "Scolaire": [
        ("Inscription confirmée", "L'inscription demandée ({{ demande.code }}) est confirmée. Le certificat "
         "d'inscription est joint à votre demande."),
    ],
    "CCAS": [
        ("Rendez-vous proposé", "Un travailleur social vous rappellera dans la semaine pour convenir d'un "
         "rendez-vous. Vous pouvez aussi joindre le CCAS au {{ collectivite.telephone }}."),
    ],
    "Urbanisme": [
        ("Pièces reçues", "Les pièces de votre dossier {{ demande.code }} sont complètes ; l'instruction suit son "
         "cours et vous recevrez la décision au plus tard le {{ demande.date_limite }}."),
    ],
    "Collecte des déchets": [
        ("Bac livré", "Votre bac vous a été livré. Les jours de collecte de votre rue sont rappelés sur le site de "
         "{{ collectivite.nom }}."),
    ],
}


def _answer_templates(organisation, services):
    from guichet.answers.models import AnswerTemplate

    by_name = {service.name: service for service in services}
    for name, templates in ANSWER_TEMPLATES.items():
        if name is not None and name not in by_name:
            continue
        for title, text in templates:
            AnswerTemplate.objects.update_or_create(
                organisation=organisation, service=by_name.get(name), title=title,
                defaults={"body": GREETING + text + SIGNATURE, "is_active": True},
            )


def _user(organisation, email, kind, **fields):
    user = User.objects.filter(organisation=organisation, email=email).first()
    if user is None:
        user = User(organisation=organisation, email=email)
    user.kind = kind
    user.email_confirmed = True
    user.is_active = True
    for key, value in fields.items():
        setattr(user, key, value)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _agents(organisation, services, domain):
    accounts = []
    for local, first, last, role, is_admin, title in AGENTS:
        email = f"{local}@{domain}"
        agent = _user(organisation, email, User.Kind.AGENT, first_name=first, last_name=last,
                      is_org_admin=is_admin, job_title=title)
        key = demo_totp_key(f"{organisation.slug}:{email}")
        TOTPDevice.objects.update_or_create(user=agent, name="Démonstration", defaults={"key": key, "confirmed": True})
        # The administrator and the elected official see every service; the others the first two.
        for service in services if is_admin or role == Membership.Role.ELECTED else services[:2]:
            Membership.objects.update_or_create(
                organisation=organisation, user=agent, service=service, defaults={"role": role}
            )
        accounts.append(agent)
    return accounts


def _citizens(organisation, data, domain):
    accounts = []
    for local, civility, first, last, birth, street, phone, channel, household in CITIZENS:
        email = f"{local}@{domain}"
        citizen = _user(
            organisation, email, User.Kind.CITIZEN, civility=civility, first_name=first, last_name=last,
            birth_date=birth, address_line=street, postcode=data["postcode"], city=data.get("city", data["name"]),
            phone=phone, preferred_channel=channel,
        )
        HouseholdMember.objects.filter(citizen=citizen).delete()
        HouseholdMember.objects.bulk_create(
            HouseholdMember(
                organisation=organisation, citizen=citizen, relationship=relationship,
                civility="mme" if member_civility in {"mme", "f"} else "m",
                first_name=member_first, last_name=member_last, birth_date=member_birth,
            )
            for relationship, member_civility, member_first, member_last, member_birth in household
        )
        if not Notification.objects.filter(recipient=citizen).exists():
            notify(citizen, "account.welcome", link="/compte/")
        accounts.append(citizen)
    return accounts


@transaction.atomic
def load_demo():
    """Create or update the demo collectivités; return the demo accounts."""
    operator = User.objects.filter(organisation=None, email=OPERATOR_EMAIL).first()
    if operator is None:
        operator = User.objects.create_superuser(
            OPERATOR_EMAIL, DEMO_PASSWORD, first_name="Opératrice", last_name="Plateforme"
        )
    else:
        operator.set_password(DEMO_PASSWORD)
        operator.save()
    logins = [operator]

    epci = _organisation(EPCI, kind=Organisation.Kind.INTERCOMMUNAL)
    epci_services = _services(epci, EPCI["services"])
    logins += _agents(epci, epci_services, f"{epci.slug}.localhost")
    logins += _citizens(epci, EPCI, "example.org")
    _answer_templates(epci, epci_services)
    for data in COMMUNES:
        commune = _organisation(data, kind=Organisation.Kind.COMMUNE, intercommunality=epci)
        commune_services = _services(commune, COMMUNE_SERVICES)
        logins += _agents(commune, commune_services, f"{commune.slug}.localhost")
        logins += _citizens(commune, data, "example.org")
        _answer_templates(commune, commune_services)
    # The procedures of the Guichet catalogue, published in every demo collectivité (those already there are kept).
    for organisation in Organisation.objects.filter(slug__in=[EPCI["slug"], *(data["slug"] for data in COMMUNES)]):
        load_catalogue(organisation)
    # Street-problem reports in every commune, at every stage (see demo/requests.py).
    from .requests import load_requests

    for data in COMMUNES:
        commune = Organisation.objects.get(slug=data["slug"])
        citizens = {user.email.split("@")[0]: user for user in User.objects.filter(
            organisation=commune, kind=User.Kind.CITIZEN)}
        admin = User.objects.get(organisation=commune, email=f"admin@{commune.slug}.localhost")
        load_requests(commune, citizens, admin, data["postcode"])
    # The other channels (issue 6): staff directory, knowledge base, counter and phone requests, the contact
    # centre's extensions, telephony secret and past calls, e-mails and letters waiting to be qualified.
    from guichet.citizen_records.demo import load_demo as load_counter_requests
    from guichet.contact_centre.demo import load_demo as load_contact_centre
    from guichet.directory.demo import load_demo as load_directory
    from guichet.knowledge.demo import load_demo as load_knowledge
    from guichet.mailroom.demo import load_demo as load_mailroom

    from .apis import load_demo as load_apis

    for organisation in Organisation.objects.filter(slug__in=[EPCI["slug"], *(data["slug"] for data in COMMUNES)]):
        load_directory(organisation)
        load_knowledge(organisation)
        if organisation.kind == Organisation.Kind.COMMUNE:
            load_counter_requests(organisation)
            load_mailroom(organisation)
            load_apis(organisation)
        load_contact_centre(organisation)
    return logins
