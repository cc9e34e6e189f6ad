"""Demo directory of a collectivité: a dozen entries (people and services), one of them the graffiti removal
team. Keyed by e-mail address (people) and service (services): loading it again updates, adds nothing twice."""

from django.db import transaction
from django.utils.text import slugify

from guichet.accounts.models import User
from guichet.agents.models import Service

from .models import DirectoryEntry
from .phones import parse_phone

TOWN_HALL = "Hôtel de ville"
TECHNICAL_CENTRE = "Centre technique municipal"
HOURS = "Du lundi au vendredi, 8 h 30 – 12 h et 13 h 30 – 17 h"

# (first name, last name, e-mail local part, service, job title, missions, building, office, phone, extension)
PEOPLE = [
    ("Karine", "Lemoine", "karine.lemoine", "Services techniques", "Cheffe d'équipe propreté urbaine",
     "Enlèvement des graffitis et des tags, affichage sauvage, nettoyage des façades publiques",
     TECHNICAL_CENTRE, "12", "03 83 00 20 41", "2041"),
    ("Thomas", "Girard", "thomas.girard", "Services techniques", "Responsable voirie",
     "Nids-de-poule, trottoirs, signalisation, éclairage public", TECHNICAL_CENTRE, "10", "03 83 00 20 40", "2040"),
    ("Sophie", "Marchal", "sophie.marchal", "État civil", "Officière d'état civil",
     "Actes de naissance, mariage et décès, livret de famille, recensement citoyen", TOWN_HALL, "RDC 3",
     "03 83 00 20 10", "2010"),
    ("Nadia", "Haddad", "nadia.haddad", "Scolaire", "Gestionnaire inscriptions scolaires",
     "Inscriptions à l'école, cantine, accueil périscolaire, transport scolaire", TOWN_HALL, "1er étage, 104",
     "03 83 00 20 20", "2020"),
    ("Paul", "Renaud", "paul.renaud", "Urbanisme", "Instructeur du droit des sols",
     "Permis de construire, déclarations préalables, certificats d'urbanisme", TOWN_HALL, "2e étage, 201",
     "03 83 00 20 30", "2030"),
    ("Élodie", "Fournier", "elodie.fournier", "CCAS", "Travailleuse sociale",
     "Aides sociales, aide alimentaire, portage de repas, domiciliation", "Maison des solidarités", "5",
     "03 83 00 20 50", "2050"),
    ("Marc", "Dubois", "marc.dubois", "Police municipale", "Chef de la police municipale",
     "Stationnement gênant, objets trouvés, tranquillité vacances, nuisances sonores", "Poste de police", "",
     "03 83 00 20 60", "2060"),
    ("Julie", "Perrin", "julie.perrin", "", "Standardiste",
     "Accueil téléphonique, orientation des appels, renseignements généraux", TOWN_HALL, "Accueil",
     "03 83 00 20 00", "2000"),
]
# (service, missions, building, phone)
SERVICES = [
    ("Services techniques", "Voirie, propreté urbaine, espaces verts, graffitis, bâtiments communaux",
     TECHNICAL_CENTRE, "03 83 00 20 40"),
    ("État civil", "Actes d'état civil, mariages, PACS, cartes d'identité et passeports", TOWN_HALL, "03 83 00 20 10"),
    ("CCAS", "Action sociale, aides aux familles et aux personnes âgées", "Maison des solidarités", "03 83 00 20 50"),
]


def _service(organisation, name):
    if not name:
        return None
    service = Service.objects.of(organisation).filter(name=name).first()
    if service is None:
        service, _created = Service.objects.get_or_create(
            organisation=organisation, slug=slugify(name), defaults={"name": name})
    return service


@transaction.atomic
def load_demo(organisation):
    """Create or update the demo directory of `organisation` → the number of entries it has."""
    domain = f"{organisation.slug}.localhost"
    for first, last, local, service_name, job, missions, building, office, phone, extension in PEOPLE:
        email = f"{local}@{domain}"
        entry = DirectoryEntry.objects.of(organisation).filter(email=email).first() or DirectoryEntry(
            organisation=organisation, kind=DirectoryEntry.Kind.PERSON, email=email)
        entry.first_name, entry.last_name, entry.job_title, entry.missions = first, last, job, missions
        entry.building, entry.office, entry.phone_extension = building, office, extension
        entry.phone = parse_phone(phone)
        entry.service = _service(organisation, service_name)
        entry.hours = HOURS
        entry.save()
    for name, missions, building, phone in SERVICES:
        service = _service(organisation, name)
        entries = DirectoryEntry.objects.of(organisation).filter(kind=DirectoryEntry.Kind.SERVICE)
        entry = entries.filter(service=service).first() or DirectoryEntry(
            organisation=organisation, kind=DirectoryEntry.Kind.SERVICE, service=service)
        entry.missions, entry.building, entry.phone, entry.hours = missions, building, parse_phone(phone), HOURS
        entry.save()
    # The collectivité's administrator, linked to their agent account (name, e-mail, job title from the account).
    admin = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_org_admin=True,
                                is_active=True).order_by("pk").first()
    if admin is not None and not DirectoryEntry.objects.of(organisation).filter(user=admin).exists():
        DirectoryEntry.objects.create(organisation=organisation, kind=DirectoryEntry.Kind.PERSON, user=admin,
                                      building=TOWN_HALL, office="2e étage, 210", hours=HOURS,
                                      missions="Direction générale des services, organisation des services")
    return DirectoryEntry.objects.of(organisation).count()
