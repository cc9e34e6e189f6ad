"""Benchmark of the back office at scale: 1,000,000 requests across 50 collectivités on PostgreSQL.

    .venv/bin/python bench/back_office.py                  # generate once (skipped when there), index, measure
    .venv/bin/python bench/back_office.py --regenerate     # drop the bench database and start over
    .venv/bin/python bench/back_office.py --measure-only   # the data is there: measure only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/guichet_bench_small \\
        .venv/bin/python bench/back_office.py --requests 100000

Works on its own database only (default `postgres://postgres@127.0.0.1:5432/guichet_bench`; the name must
start with `guichet_bench`), created and migrated when missing and kept between runs.

1. Generation (skipped when a previous run with the same parameters finished): 50 collectivités whose sizes
   follow a power law (the largest, a big city, has ~15 % of the requests), 5 services each, agents in every
   service (one manager; TOTP devices, like `tests/conftest.py client_for`), an administrator and an elected
   member per collectivité, citizens (about one per 2.5 requests), 8 procedures of the Guichet catalogue
   imported and published with the real code (`procedures.exchange.import_catalogue_procedure`,
   `procedures.services.publish`), then the requests in bulk (psycopg COPY, rows built in Python from each
   version's form: French text in the answers, choices, addresses and points, districts), spread over
   services, procedures, citizens (a few heavy users; 5 % anonymous), channels (phone, counter and mail ones
   entered by an agent), priorities, statuses of the versions' workflows (old requests mostly closed with a
   written answer, recent ones mostly open), deadlines from the versions' settings (working days skip the
   French public holidays) so that open ones are overdue, due soon or on time; ~3 timeline events each
   (`INSERT … SELECT`: submitted, status changed, a message or the written answer). Every collectivité has a
   citizen with exactly 50 requests (`usager.50@<slug>.example.fr`) and two drafts. During the load the
   tables' secondary indexes are dropped and the foreign-key triggers disabled (session_replication_role =
   replica), then the indexes are rebuilt and the references checked.
2. `manage.py migrate`, `manage.py reindex_requests` (when the search app provides it), ANALYZE.
3. Measures in-process with Django's test Client on the collectivité's host (DEBUG off, warm-up first, median
   and p95 of --runs runs): the agents' queue (a status, overdue, sorted by deadline, 50 rows), a citizen's
   « Mes demandes » (50 requests) and search by words (several queries); prints the SQL queries per page and
   the EXPLAIN (ANALYZE, BUFFERS) of each page's slowest query.
"""

import argparse
import datetime
import io
import json
import math
import os
import random
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/guichet_bench"
AGENT_PASSWORD = "banc-d-essai-2026"  # noqa: S105 — bench accounts only
TODAY_OFFSET_DAYS = 730  # requests submitted over the last two years
SEED = 20261201

# The collectivités: fictitious French towns, the first one a large city.
TOWN_NAMES = [
    "Grandval", "Rivemont", "Beaulieu-sur-Orne", "Sainte-Colombe", "Montferrand-le-Haut", "Villeneuve-des-Prés",
    "Saint-Martin-la-Forêt", "Castelnau-d'Aude", "Fontaine-aux-Roses", "Belleville-sur-Meuse", "Roquebrune-Val",
    "Charmont", "Les Essarts-le-Roi", "Bois-Colombe", "Saint-Hilaire-du-Lac", "Pontarlieu", "Mirabel-les-Vignes",
    "Valréas-Haut", "Clairefontaine", "Saint-Julien-en-Genevois-Bas", "Lacroix-Saint-Ouen-Nord", "Marcilly",
    "Le Puy-Sainte-Réparade", "Haute-Rive", "Saint-Amand-les-Eaux-Vives", "Chantemerle", "Bellegarde-sur-Loire",
    "Montreuil-Bellay-Est", "Cerisiers", "La Roche-Blanche", "Saint-Germain-des-Champs", "Aubeterre", "Vernouillet",
    "Mont-Saint-Aignan-Ouest", "Neuville-aux-Bois", "Saint-Cyr-la-Rivière", "Orvault-le-Bourg", "Lormont-Haut",
    "Villefranche-du-Val", "Sainte-Luce-sur-Erdre", "Bourg-Achard", "Les Moutiers", "Fleurance", "Saint-Paul-Trois",
    "Maisons-Neuves", "Champagnole-Bas", "Ribeauvillé-Sud", "Lamballe-Nord", "Saint-Prix-des-Monts", "Vaux-le-Pénil",
]
DISTRICTS = [
    "Centre-ville", "Gare", "Les Tilleuls", "Bellevue", "Le Moulin", "Saint-Jacques", "Les Coteaux", "Port",
    "La Prairie", "Les Aubépines", "Vieux-Bourg", "Haut-Quartier", "Les Rives", "Champ-de-Foire",
]
STREETS = [
    "rue de la République", "avenue Jean-Jaurès", "rue Victor-Hugo", "place de la Mairie", "rue des Lilas",
    "rue Pasteur", "boulevard Gambetta", "rue du Général-de-Gaulle", "chemin des Vignes", "impasse du Moulin",
    "rue de l'Église", "allée des Tilleuls", "rue Jules-Ferry", "avenue de la Gare", "rue des Écoles",
    "quai des Mariniers", "rue du Stade", "rue de la Fontaine", "rue des Acacias", "route de Paris",
    "rue Émile-Zola", "rue du Château", "place du Marché", "rue des Peupliers", "avenue du Maréchal-Foch",
    "rue Saint-Exupéry", "rue des Jardins", "rue de Verdun", "rue Paul-Bert", "chemin du Lavoir",
    "rue Louis-Pergaud", "rue des Cerisiers", "rue Lamartine", "rue de la Paix", "avenue des Sports",
    "rue Anatole-France", "rue du Four", "rue des Roses", "rue Condorcet", "boulevard de la Liberté",
]
FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise", "Sarah", "Julie", "Nathalie", "Isabelle",
    "Sophie", "Claire", "Anne", "Marie", "Lucie", "Élodie", "Aurélie", "Céline", "Fatima", "Aïcha", "Yasmine",
    "Nadia", "Sylvie", "Martine", "Monique", "Françoise", "Brigitte", "Hélène", "Lucas", "Hugo", "Louis",
    "Nathan", "Enzo", "Théo", "Thomas", "Nicolas", "Julien", "Pierre", "Antoine", "Maxime", "Alexandre",
    "Kevin", "Romain", "Mehdi", "Karim", "Youssef", "Mohamed", "Jean", "Michel", "Philippe", "Alain",
    "Bernard", "Christophe", "François", "Patrick", "Stéphane", "Olivier", "David",
]
LAST_NAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure", "André",
    "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
    "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
    "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
    "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron",
    "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
    "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte",
    "Benali", "Haddad", "Nguyen", "Diallo", "Traoré", "Da Silva", "Ferreira", "Kowalski", "Rossi", "Hamdi",
]

# The services of every collectivité and the catalogue procedures each one handles (file name, weight).
SERVICES = [
    ("Services techniques", "services-techniques",
     [("signalement-voirie", 30), ("demande-travaux", 6)]),
    ("Cadre de vie", "cadre-de-vie", [("nettoyage-espaces-verts", 10), ("enlevement-graffitis", 6)]),
    ("État civil", "etat-civil", [("demande-acte-etat-civil", 16)]),
    ("Solidarités – CCAS", "ccas", [("contact-ccas", 8)]),
    ("Relation aux usagers", "relation-usagers", [("reclamation", 14), ("suggestion", 10)]),
]

# French text for the free-text answers, by procedure: 2 or 3 sentences drawn for each request.
TEXTS = {
    "signalement-voirie": [
        "Un nid-de-poule profond s'est formé devant le numéro indiqué, les voitures font des écarts.",
        "Le trottoir est défoncé sur plusieurs mètres, les poussettes doivent descendre sur la chaussée.",
        "Le lampadaire au coin de la rue ne s'allume plus depuis une semaine, la rue est plongée dans le noir.",
        "L'éclairage public clignote toute la nuit et gêne les riverains.",
        "Un panneau stop a été plié par un camion et n'est plus visible.",
        "Le feu tricolore du carrefour reste bloqué à l'orange clignotant.",
        "Des sacs-poubelle et un vieux matelas ont été déposés sur le trottoir.",
        "Dépôt sauvage de gravats et de déchets verts au bord du chemin.",
        "La grille d'égout est bouchée, l'eau stagne après chaque pluie et forme une grande flaque.",
        "Un banc public est cassé, une planche dépasse et peut blesser quelqu'un.",
        "La poubelle de l'arrêt de bus est arrachée et les déchets s'envolent.",
        "Une branche morte menace de tomber sur le passage piéton.",
        "Les bandes blanches du passage piéton sont presque effacées devant l'école.",
        "La chaussée s'affaisse au niveau de la tranchée refaite l'an dernier.",
        "Des racines soulèvent le bitume du trottoir, plusieurs personnes âgées ont trébuché.",
        "Merci d'intervenir rapidement, c'est dangereux pour les cyclistes.",
        "Le problème dure depuis plusieurs semaines malgré un premier signalement.",
        "Je passe tous les jours à cet endroit avec mes enfants.",
    ],
    "demande-travaux": [
        "La porte du local associatif ferme mal et la serrure est grippée.",
        "Nous demandons la pose de deux barrières devant la sortie de l'école.",
        "Une fuite d'eau au plafond de la salle des fêtes abîme le parquet.",
        "Le chauffage du gymnase ne fonctionne plus depuis la rentrée.",
        "Il faudrait repeindre la salle de réunion et remplacer les néons.",
        "Le portail du cimetière ne se verrouille plus.",
        "Demande d'installation d'un ralentisseur rue des Écoles, les voitures roulent trop vite.",
        "La gouttière de la maison de quartier déborde à chaque averse.",
        "Merci de prévoir l'intervention avant la manifestation du mois prochain.",
        "Le local technique est accessible, la clé est à l'accueil de la mairie.",
    ],
    "nettoyage-espaces-verts": [
        "Les herbes hautes envahissent l'aire de jeux du square.",
        "La haie du parc déborde sur le trottoir et cache le panneau de signalisation.",
        "Des déchets et des canettes traînent partout sur la pelouse après le week-end.",
        "Des seringues ont été trouvées près du bac à sable, merci d'intervenir en urgence.",
        "Les feuilles mortes bouchent l'allée principale du jardin public.",
        "Le massif fleuri du rond-point n'est plus entretenu.",
        "Des ronces ont poussé le long du chemin piétonnier.",
        "Les poubelles du parc débordent tous les lundis.",
        "Un arbre est tombé pendant la tempête et bloque le sentier.",
        "Les déjections canines sont nombreuses sur la pelouse de l'école.",
        "La tonte n'a pas été faite depuis le printemps.",
    ],
    "enlevement-graffitis": [
        "Des tags injurieux ont été peints sur le mur de l'école pendant la nuit.",
        "Graffitis sur la façade de notre immeuble, côté rue.",
        "Le mobilier urbain de l'abribus est couvert d'inscriptions.",
        "Un grand graffiti recouvre le transformateur électrique.",
        "Les tags sur la porte du garage reviennent chaque semaine.",
        "Inscriptions à la peinture sur le pont piétonnier.",
        "Le propriétaire est d'accord pour l'effacement.",
    ],
    "demande-acte-etat-civil": [
        "J'ai besoin de cet acte pour constituer mon dossier de passeport.",
        "Acte demandé pour un dossier de retraite auprès de la caisse.",
        "Copie intégrale nécessaire pour mon mariage prévu cet été.",
        "Demande pour la succession de mon père décédé l'an dernier.",
        "Extrait avec filiation demandé par le notaire.",
        "Merci de l'envoyer à l'adresse indiquée.",
    ],
    "contact-ccas": [
        "Je suis en difficulté pour payer mon loyer depuis la perte de mon emploi.",
        "Ma mère âgée vit seule et aurait besoin d'une aide à domicile.",
        "Nous souhaitons un rendez-vous pour une demande d'aide alimentaire.",
        "Je cherche des informations sur le portage de repas à domicile.",
        "Ma facture d'électricité a doublé et je ne peux pas la régler.",
        "Demande d'accompagnement pour constituer un dossier de logement social.",
        "Je suis en situation de handicap et j'ai besoin d'aide pour les démarches.",
        "Pouvez-vous me rappeler en fin de matinée ?",
    ],
    "reclamation": [
        "Je n'ai reçu aucune réponse à mon courrier envoyé il y a deux mois.",
        "La facture de cantine comporte des repas que mon enfant n'a pas pris.",
        "Le ramassage des ordures n'est pas passé dans notre rue depuis trois semaines.",
        "L'accueil téléphonique de la mairie ne répond jamais le matin.",
        "Le bruit du chantier commence avant sept heures, ce qui est interdit.",
        "Le stationnement gênant devant mon garage n'est jamais verbalisé.",
        "Les horaires de la piscine ont changé sans information.",
        "Je conteste le montant de la redevance qui m'a été facturée.",
        "Les travaux de voirie bloquent l'accès à mon commerce depuis un mois.",
        "J'attends un geste commercial ou au moins une explication écrite.",
        "Je souhaite une réponse écrite à ma réclamation.",
    ],
    "suggestion": [
        "Il serait utile d'installer des arceaux à vélos devant la médiathèque.",
        "Pourquoi ne pas créer un jardin partagé sur le terrain vague près de la gare ?",
        "Je propose d'allonger les horaires d'ouverture de la bibliothèque le samedi.",
        "Un marché de producteurs locaux le dimanche matin animerait le centre-ville.",
        "Des bancs supplémentaires le long de la promenade aideraient les personnes âgées.",
        "Il faudrait une navette gratuite entre les quartiers et le centre.",
        "Installer une boîte à livres dans chaque quartier.",
        "Des toilettes publiques près de l'aire de jeux seraient bienvenues.",
    ],
}
MESSAGES_AGENT = [
    "Bonjour, votre demande a bien été prise en compte par nos services. Une équipe passera sur place.",
    "Bonjour, pourriez-vous nous préciser l'emplacement exact ? Merci.",
    "Bonjour, l'intervention est programmée dans les prochains jours.",
    "Bonjour, nous avons transmis votre demande au service compétent.",
]
MESSAGES_CITIZEN = [
    "Merci pour votre réponse rapide.",
    "Le problème est toujours là ce matin, pouvez-vous me dire quand vous passerez ?",
    "Je vous confirme l'adresse : c'est juste en face de la boulangerie.",
    "Bonjour, avez-vous des nouvelles de ma demande ?",
]
ANSWERS = [
    "Bonjour, l'intervention a été réalisée. Nous vous remercions de votre signalement.",
    "Bonjour, votre demande a été traitée. Vous trouverez ci-dessous les suites données.",
    "Bonjour, après étude, nous ne pouvons pas donner une suite favorable à votre demande.",
    "Bonjour, votre document est disponible ; il vous a été envoyé par courrier.",
]
CHANNELS = [("web", 62), ("phone", 14), ("counter", 9), ("email", 8), ("postal", 5), ("api", 2)]
PRIORITIES = [(1, 10), (2, 68), (3, 16), (4, 6)]


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=50, choices=range(2, len(TOWN_NAMES) + 1),
                        metavar="N")
    parser.add_argument("--regenerate", action="store_true", help="drop the bench database and generate again")
    parser.add_argument("--measure-only", action="store_true", help="do not migrate nor reindex, only measure")
    parser.add_argument("--skip-measure", action="store_true", help="generate and index only")
    parser.add_argument("--runs", type=int, default=40, help="measured runs per page (after warm-up)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--pages", default="queue,mine,search", help="pages to measure (queue, mine, search)")
    parser.add_argument("--nice", type=int, default=0, metavar="N",
                        help="run the measurements (this process and its PostgreSQL backend) at this priority, e.g. "
                             "-10 on a machine loaded by others (needs root for a negative value)")
    return parser.parse_args()


# ---------------------------------------------------------------------------------------------------------------
# The database


def database_name(url):
    return urllib.parse.urlparse(url).path.lstrip("/")


def prepare_database(url, regenerate):
    """Create the bench database when missing (dropped first with --regenerate). Only guichet_bench* names."""
    import psycopg

    name = database_name(url)
    if not name.startswith("guichet_bench"):
        raise SystemExit(f"Refusé : la base du banc d'essai doit s'appeler guichet_bench… (et non « {name} »).")
    admin_url = urllib.parse.urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and regenerate:
            print(f"Suppression de la base {name}…")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Base {name} créée.")


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "86400")  # one connection (and backend) for the whole run
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()


def raw_connection(url):
    import psycopg

    return psycopg.connect(url)


INFO_TABLE = "guichet_bench_info"


def generation_info(conn):
    conn.execute(f"CREATE TABLE IF NOT EXISTS {INFO_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")
    conn.commit()
    row = conn.execute(f"SELECT value FROM {INFO_TABLE} WHERE key = 'generation'").fetchone()
    return row[0] if row else None


def save_generation_info(conn, info):
    conn.execute(
        f"INSERT INTO {INFO_TABLE} (key, value) VALUES ('generation', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [json.dumps(info)],
    )
    conn.commit()


# ---------------------------------------------------------------------------------------------------------------
# Generation


def weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def cumulative(pairs):
    """(values, cumulative weights) for rng.choices(values, cum_weights=...), faster in loops.

    (The data measured on 1 December 2026 was generated by a first version that passed these cumulative weights
    as plain weights: procedures, channels and priorities were skewed towards the last ones of their lists.)"""
    values, total, cum = [], 0, []
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def organisation_sizes(total, count):
    """Requests per collectivité: a power law (the first one is a large city), summing to `total`."""
    weights = [1 / (rank ** 0.9) for rank in range(1, count + 1)]
    scale = total / sum(weights)
    sizes = [int(weight * scale) for weight in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def tracking_code(number):
    """A valid, unique tracking code for the n-th generated request (a bijection of n on 35 bits)."""
    from guichet.service_requests.codes import ALPHABET, PREFIX, check_character

    value = (number * 2654435761 + 12345) % (1 << 35)
    body = "".join(ALPHABET[(value >> (5 * shift)) & 31] for shift in range(6, -1, -1))
    chars = body + check_character(body)
    return f"{PREFIX}{chars[:4]}-{chars[4:]}"


class Table:
    """COPY rows into a model's table: the given columns, every other column at its field default."""

    def __init__(self, model, columns):
        self.model = model
        self.table = model._meta.db_table
        fields = {field.column: field for field in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise SystemExit(f"{self.table}: colonnes inconnues {sorted(unknown)}")
        self.columns = list(columns)
        self.defaults = []
        for column, field in fields.items():
            if column in columns or column == "id" and "id" not in columns:
                continue
            if field.has_default():
                value = field.get_default()
                if isinstance(value, (dict, list)):
                    value = json.dumps(value)
            elif field.null:
                value = None
            elif field.blank and field.get_internal_type() in {"CharField", "TextField", "EmailField", "SlugField"}:
                value = ""
            else:
                raise SystemExit(f"{self.table}.{column} : pas de valeur par défaut connue pour le banc d'essai")
            self.columns.append(column)
            self.defaults.append(value)
        self.defaults = tuple(self.defaults)

    def copy(self, conn, rows):
        statement = f'COPY "{self.table}" ({", ".join(chr(34) + c + chr(34) for c in self.columns)}) FROM STDIN'
        count = 0
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row + self.defaults)
                count += 1
        return count


def secondary_indexes(conn, tables):
    """[(name, definition)] of the indexes of these tables that back no constraint (dropped during the load)."""
    return conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.tablename, i.indexname
        """,
        [list(tables)],
    ).fetchall()


def next_id(conn, table):
    return conn.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"').fetchone()[0]


def reset_sequence(conn, table):
    conn.execute(
        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"
    )


class Generator:
    def __init__(self, url, options):
        self.url = url
        self.options = options
        self.rng = random.Random(SEED)
        self.now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self.today = self.now.date()
        self.deadline_cache = {}

    # -- small things with the ORM and the real import/publication code --------------------------------------

    def organisations(self):
        from django.contrib.auth.hashers import make_password
        from django.db import transaction
        from django.utils.text import slugify
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from guichet.accounts.models import User
        from guichet.agents.models import Membership, Service
        from guichet.organisations.models import Organisation
        from guichet.procedures import services as procedure_services
        from guichet.procedures.exchange import import_catalogue_procedure

        password = make_password(AGENT_PASSWORD)
        sizes = organisation_sizes(self.options.requests, self.options.organisations)
        self.orgs = []
        for index, (name, size) in enumerate(zip(TOWN_NAMES, sizes, strict=False)):
            slug = slugify(name)
            with transaction.atomic():
                organisation = Organisation.objects.create(
                    slug=slug, name=name, kind=Organisation.Kind.COMMUNE, insee_code=f"{(index % 40) + 10:02d}{index:03d}",
                    address=f"Hôtel de ville\n1 place de la Mairie\n{(index % 40) + 10:02d}000 {name}",
                    email=f"mairie@{slug}.example.fr", sender_email=f"mairie@{slug}.example.fr",
                )
                services = Service.objects.bulk_create([
                    Service(organisation=organisation, name=service_name, slug=service_slug,
                            email=f"{service_slug}@{slug}.example.fr")
                    for service_name, service_slug, _procedures in SERVICES
                ])
                per_service = 3 + size // 25_000  # a big city has more agents per service
                agents = []
                memberships = []
                service_agents = {}
                for service in services:
                    service_agents[service.pk] = []
                    for number in range(per_service):
                        agent = User(
                            organisation=organisation, kind=User.Kind.AGENT, password=password,
                            email=f"agent.{service.slug}.{number + 1}@{slug}.example.fr", email_confirmed=True,
                            first_name=FIRST_NAMES[(index + number * 7) % len(FIRST_NAMES)],
                            last_name=LAST_NAMES[(index * 3 + number) % len(LAST_NAMES)],
                            job_title="Responsable de service" if number == 0 else "Agent",
                        )
                        agents.append((agent, service, Membership.Role.MANAGER if number == 0 else Membership.Role.AGENT))
                admin = User(organisation=organisation, kind=User.Kind.AGENT, password=password, is_org_admin=True,
                             email=f"admin@{slug}.example.fr", email_confirmed=True, first_name="Agnès",
                             last_name="Administratrice", job_title="Directrice générale des services")
                elected = User(organisation=organisation, kind=User.Kind.AGENT, password=password,
                               email=f"elu@{slug}.example.fr", email_confirmed=True, first_name="Denis",
                               last_name="Élu", job_title="Adjoint au maire")
                User.objects.bulk_create([agent for agent, _service, _role in agents] + [admin, elected])
                for agent, service, role in agents:
                    memberships.append(Membership(organisation=organisation, user=agent, service=service, role=role))
                    service_agents[service.pk].append(agent.pk)
                memberships += [Membership(organisation=organisation, user=elected, service=service,
                                           role=Membership.Role.ELECTED) for service in services]
                Membership.objects.bulk_create(memberships)
                TOTPDevice.objects.bulk_create([
                    TOTPDevice(user=user, name="Banc d'essai", confirmed=True)
                    for user in [agent for agent, _service, _role in agents] + [admin, elected]
                ])
                versions = []
                for service, (_name, _slug, procedures) in zip(services, SERVICES, strict=True):
                    for key, weight in procedures:
                        procedure = import_catalogue_procedure(organisation, key, publish=False).procedure
                        procedure.service = service
                        procedure.save(update_fields=["service", "updated_at"])
                        version = procedure_services.publish(procedure)
                        versions.append((version, weight, key))
            self.orgs.append({
                "organisation": organisation, "size": size, "services": services,
                "service_agents": service_agents, "versions": versions,
            })
        return self.orgs

    # -- the bulk part ------------------------------------------------------------------------------------------

    def deadline(self, version, day):
        key = (version.deadline_amount, version.deadline_unit, day)
        if key not in self.deadline_cache:
            from guichet.procedures.deadlines import calendar_days_after, working_days_after
            from guichet.procedures.models import DeadlineUnit

            if not version.deadline_amount:
                value = None
            elif version.deadline_unit == DeadlineUnit.WORKING_DAYS:
                value = working_days_after(day, version.deadline_amount)
            else:
                value = calendar_days_after(day, version.deadline_amount)
            self.deadline_cache[key] = value
        return self.deadline_cache[key]

    def citizens(self, conn):
        """COPY the citizens of every collectivité; their ids and names are kept for the requests."""
        from guichet.accounts.models import User

        table = Table(User, [
            "id", "organisation_id", "kind", "email", "email_confirmed", "civility", "first_name", "last_name",
            "address_line", "postcode", "city", "phone", "preferred_channel", "password", "is_active",
            "date_joined", "is_org_admin", "is_staff", "is_superuser", "job_title", "address_complement",
        ])
        rng = self.rng
        first_id = next_id(conn, User._meta.db_table)
        people = {}

        def rows():
            next_pk = first_id
            for entry in self.orgs:
                organisation = entry["organisation"]
                count = max(1_500, int(entry["size"] / 2.5))
                postcode = f"{organisation.insee_code[:2]}000"
                ids, names = [], []
                for number in range(count):
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    if number == 0:  # the citizen with exactly 50 requests
                        first, last = "Camille", "Cinquante"
                        email = f"usager.50@{organisation.slug}.example.fr"
                    else:
                        email = f"{slug_ascii(first)}.{slug_ascii(last)}.{number}@{organisation.slug}.example.fr"
                    street = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
                    phone = f"+336{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.8 else ""
                    channel = "email" if rng.random() < 0.85 else ("sms" if phone else "letter")
                    joined = self.now - datetime.timedelta(days=rng.uniform(0, 1500))
                    ids.append(next_pk)
                    names.append((first, last, email, phone, street))
                    yield (next_pk, organisation.pk, "citizen", email, True, rng.choice(["mme", "m", ""]), first,
                           last, street, postcode, organisation.name, phone, channel, "!", True, joined,
                           False, False, False, "", "")
                    next_pk += 1
                people[organisation.pk] = (ids, names)

        count = table.copy(conn, rows())
        self.people = people
        return count

    def requests(self, conn):
        from guichet.formdefs.conditions import visible_answers
        from guichet.service_requests.models import ServiceRequest

        columns = [
            "id", "organisation_id", "version_id", "procedure_id", "tracking_code", "state", "citizen_id",
            "contact_name", "contact_email", "contact_phone", "channel", "entered_by_id", "service_id",
            "assigned_to_id", "status", "waiting_for_citizen", "information_request", "deadline", "priority",
            "address", "latitude", "longitude", "district", "concerns", "data", "current_page", "submitted_at",
            "created_at", "updated_at", "closed_at", "anonymised_at", "withdrawn_at", "answered_at",
            "merged_into_id", "lock_version",
        ]
        table = Table(ServiceRequest, columns)
        rng = self.rng
        first_id = next_id(conn, ServiceRequest._meta.db_table)
        channels = cumulative(CHANNELS)
        priorities = cumulative(PRIORITIES)
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        random_ = rng.random

        def pick(choices):
            values, cum_weights = choices
            return rng.choices(values, cum_weights=cum_weights)[0]

        def variants(version):
            """A pool of answer sets for this version's form (conditions applied); text and place vary per row."""
            pool = []
            for _ in range(300):
                answers = {}
                for field in iter_form_fields(version.form):
                    value = sample_answer(rng, field, self.today)
                    if value is not None:
                        answers[field["id"]] = value
                pool.append(visible_answers(version.form, answers))
            text_ids = [f["id"] for f in iter_form_fields(version.form) if f.get("type") == "textarea"]
            address_ids = [f["id"] for f in iter_form_fields(version.form) if f.get("type") == "address"]
            return pool, text_ids, address_ids

        def rows():
            number = first_id
            for entry in self.orgs:
                organisation = entry["organisation"]
                ids, names = self.people[organisation.pk]
                heavy = ids[0]
                population = len(ids) - 1
                versions = [(version, weight, key, variants(version)) for version, weight, key in entry["versions"]]
                version_choices = cumulative([((v, key, pool), w) for v, w, key, pool in versions])
                statuses = {version.pk: split_statuses(version.workflow) for version, _w, _k, _p in versions}
                center = (43.3 + (organisation.pk * 0.37) % 6.5, -1.0 + (organisation.pk * 0.71) % 8.0)
                postcode = f"{organisation.insee_code[:2]}000"
                size = entry["size"]
                heavy_rows = set(rng.sample(range(size), 50))
                for position in range(size + 2):
                    (version, key, (pool, text_ids, address_ids)) = pick(version_choices)
                    service_id = version.service_id
                    agents = entry["service_agents"][service_id]
                    heavy_row = position in heavy_rows or position >= size
                    draft = position >= size or (not heavy_row and random_() < 0.01)
                    if heavy_row:
                        citizen_index = 0
                    elif random_() < 0.05 and version.who_may_submit == "anyone":
                        citizen_index = None
                    else:
                        citizen_index = 1 + int(population * random_() ** 1.3)
                    channel = pick(channels) if citizen_index is not None else "web"
                    entered_by = rng.choice(agents) if channel in {"phone", "counter", "postal", "email"} else None
                    age = TOTAL_DAYS * random_()
                    submitted = self.now - datetime.timedelta(days=age, seconds=rng.randint(0, 3600))
                    answers = dict(rng.choice(pool))
                    street = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
                    district = rng.choice(DISTRICTS)
                    lat = center[0] + rng.uniform(-0.04, 0.04)
                    lon = center[1] + rng.uniform(-0.06, 0.06)
                    for field_id in address_ids:
                        if field_id in answers:
                            answers[field_id] = {"street": street, "postcode": postcode, "city": organisation.name,
                                                 "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"}
                    sentences = TEXTS[key]
                    for field_id in text_ids:
                        if field_id in answers:
                            answers[field_id] = " ".join(rng.sample(sentences, rng.randint(2, 3)))
                    if "quartier" in answers:
                        answers["quartier"] = district
                    if citizen_index is None:
                        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                        contact = (f"{first} {last}", f"{slug_ascii(first)}.{slug_ascii(last)}@courriel.example",
                                   f"+336{rng.randint(10_000_000, 99_999_999)}" if random_() < 0.5 else "")
                        citizen_id = None
                    else:
                        first, last, email, phone, _street = names[citizen_index]
                        contact = ("", "", "")
                        citizen_id = ids[citizen_index]
                    for key in ("nom", "contact_nom"):
                        if key in answers:
                            answers[key] = last if key == "nom" else f"{first} {last}"
                    if "prenom" in answers:
                        answers["prenom"] = first
                    has_address = any(field_id in answers for field_id in address_ids)
                    initial, open_statuses, final_statuses = statuses[version.pk]
                    closed_at = answered_at = withdrawn_at = None
                    waiting = False
                    information = ""
                    if draft:
                        state, status, deadline = "draft", "", None
                        submitted_at = None
                        created = submitted
                        updated = submitted
                        assigned = None
                        service = None
                        current_page = version.form["pages"][0]["id"]
                    else:
                        state = "submitted"
                        submitted_at = submitted
                        created = submitted - datetime.timedelta(minutes=rng.randint(2, 40))
                        deadline = self.deadline(version, submitted.date())
                        service = service_id
                        current_page = ""
                        assigned = rng.choice(agents) if random_() < 0.75 else None
                        open_probability = (0.7 if age < 30 else 0.3 if age < 90 else 0.08 if age < 365 else 0.02)
                        if random_() < open_probability:
                            status = initial if random_() < 0.35 else rng.choice(open_statuses or [initial])
                            if status == initial and random_() < 0.5:
                                assigned = None
                            waiting = status == "incomplete" or random_() < 0.04
                            if waiting:
                                information = "Merci de nous envoyer une photo ou un justificatif complémentaire."
                            updated = submitted + (self.now - submitted) * random_()
                        elif random_() < 0.01:
                            status = initial
                            withdrawn_at = closed_at = submitted + datetime.timedelta(days=rng.uniform(0.1, 5))
                            updated = closed_at
                        else:
                            status = rng.choice(final_statuses) if final_statuses else initial
                            closed_at = min(self.now, submitted + datetime.timedelta(days=rng.uniform(0.2, 45)))
                            answered_at = closed_at - datetime.timedelta(minutes=1)
                            updated = closed_at
                    yield (
                        number, organisation.pk, version.pk, version.procedure_id, tracking_code(number), state,
                        citizen_id, *contact, channel, entered_by, service, assigned, status, waiting, information,
                        deadline, pick(priorities), street + f", {postcode} {organisation.name}"
                        if has_address else "", lat if has_address else None, lon if has_address else None,
                        district if has_address or "quartier" in answers else "", "", dumps(answers), current_page,
                        submitted_at, created, updated, closed_at, None, withdrawn_at, answered_at, None,
                        1 if state == "submitted" else 0,
                    )
                    number += 1
                print(f"  {organisation.name} : {size} demandes", flush=True)

        return table.copy(conn, rows())

    def events(self, conn):
        """~3 timeline events per submitted request, set-based."""
        from guichet.service_requests.models import RequestEvent, ServiceRequest

        events, requests = RequestEvent._meta.db_table, ServiceRequest._meta.db_table
        columns = "organisation_id, request_id, at, actor_id, kind, visible_to_citizen, status_from, status_to, " \
                  "text, data"
        agent_texts = "ARRAY[" + ", ".join(quote(text) for text in MESSAGES_AGENT) + "]"
        citizen_texts = "ARRAY[" + ", ".join(quote(text) for text in MESSAGES_CITIZEN) + "]"
        answer_texts = "ARRAY[" + ", ".join(quote(text) for text in ANSWERS) + "]"
        low, high = conn.execute(f'SELECT MIN(id), MAX(id) FROM "{requests}"').fetchone()
        total = 0
        step = 250_000
        for start in range(low, high + 1, step):
            cursor = conn.execute(f"""
                INSERT INTO "{events}" ({columns})
                SELECT organisation_id, id, submitted_at, COALESCE(entered_by_id, citizen_id), 'submitted', true,
                       '', '', 'Demande envoyée.', '{{}}'::jsonb
                  FROM "{requests}" WHERE state = 'submitted' AND id >= %(start)s AND id < %(end)s
                UNION ALL
                SELECT organisation_id, id,
                       submitted_at + (COALESCE(closed_at, %(now)s) - submitted_at) * (0.2 + (id %% 7) / 20.0),
                       assigned_to_id, 'status_changed', true, 'recue', status, '', '{{}}'::jsonb
                  FROM "{requests}" WHERE state = 'submitted' AND status <> 'recue' AND id >= %(start)s
                   AND id < %(end)s
                UNION ALL
                SELECT organisation_id, id, answered_at, assigned_to_id, 'answer', true, '', '',
                       ({answer_texts})[1 + id %% {len(ANSWERS)}], '{{}}'::jsonb
                  FROM "{requests}" WHERE state = 'submitted' AND answered_at IS NOT NULL AND id >= %(start)s
                   AND id < %(end)s
                UNION ALL
                SELECT organisation_id, id, withdrawn_at, citizen_id, 'withdrawn', true, '', '',
                       'Je n''ai plus besoin de cette démarche.', '{{}}'::jsonb
                  FROM "{requests}" WHERE state = 'submitted' AND withdrawn_at IS NOT NULL AND id >= %(start)s
                   AND id < %(end)s
                UNION ALL
                SELECT organisation_id, id,
                       submitted_at + (COALESCE(closed_at, %(now)s) - submitted_at) * (0.5 + (id %% 5) / 20.0),
                       CASE WHEN id %% 3 = 0 THEN citizen_id ELSE assigned_to_id END,
                       CASE WHEN id %% 3 = 0 AND citizen_id IS NOT NULL THEN 'message_citizen'
                            ELSE 'message_agent' END,
                       true, '', '',
                       CASE WHEN id %% 3 = 0 AND citizen_id IS NOT NULL
                            THEN ({citizen_texts})[1 + id %% {len(MESSAGES_CITIZEN)}]
                            ELSE ({agent_texts})[1 + id %% {len(MESSAGES_AGENT)}] END,
                       '{{}}'::jsonb
                  FROM "{requests}" WHERE state = 'submitted' AND answered_at IS NULL AND id %% 2 = 0
                   AND id >= %(start)s AND id < %(end)s
            """, {"start": start, "end": start + step, "now": self.now})
            total += cursor.rowcount
        return total

    def run(self):
        from django.db import connection

        from guichet.accounts.models import User
        from guichet.service_requests.models import RequestEvent, ServiceRequest

        started = time.monotonic()
        step = time.monotonic()
        self.orgs = self.organisations()
        agents = sum(len(ids) for entry in self.orgs for ids in entry["service_agents"].values())
        print(f"{len(self.orgs)} collectivités, {5 * len(self.orgs)} services, {agents} agents (+ administrateurs "
              f"et élus), {sum(len(e['versions']) for e in self.orgs)} démarches importées et publiées en "
              f"{time.monotonic() - step:.0f} s", flush=True)
        connection.close()

        conn = raw_connection(self.url)
        tables = [User._meta.db_table, ServiceRequest._meta.db_table, RequestEvent._meta.db_table]
        indexes = secondary_indexes(conn, tables)
        conn.execute("SET session_replication_role = replica")  # no FK triggers during the load (checked after)
        conn.execute("SET maintenance_work_mem = '512MB'")
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')

        step = time.monotonic()
        count = self.citizens(conn)
        conn.commit()
        print(f"{count} usagers copiés en {time.monotonic() - step:.0f} s", flush=True)

        step = time.monotonic()
        count = self.requests(conn)
        conn.commit()
        print(f"{count} demandes copiées en {time.monotonic() - step:.0f} s", flush=True)

        step = time.monotonic()
        count = self.events(conn)
        conn.commit()
        print(f"{count} événements insérés en {time.monotonic() - step:.0f} s", flush=True)

        step = time.monotonic()
        for table in tables:
            reset_sequence(conn, table)
        for _name, definition in indexes:
            conn.execute(definition)
        conn.commit()
        print(f"{len(indexes)} index reconstruits en {time.monotonic() - step:.0f} s", flush=True)
        conn.execute("SET session_replication_role = DEFAULT")
        step = time.monotonic()
        check_references(conn)
        print(f"Références vérifiées en {time.monotonic() - step:.0f} s", flush=True)
        elapsed = time.monotonic() - started
        save_generation_info(conn, {
            "requests": self.options.requests, "organisations": self.options.organisations,
            "generated_at": self.now.isoformat(), "seconds": round(elapsed),
        })
        conn.close()
        print(f"Génération terminée en {elapsed:.0f} s ({elapsed / 60:.1f} min)", flush=True)
        return elapsed


TOTAL_DAYS = TODAY_OFFSET_DAYS


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def slug_ascii(text):
    from django.utils.text import slugify

    return slugify(text)


def iter_form_fields(form):
    for page in form.get("pages", []):
        for field in page.get("fields", []):
            yield field


def split_statuses(workflow):
    """(initial status, open statuses other than the initial one, final statuses) of a workflow snapshot."""
    statuses = workflow.get("statuses", [])
    initial = workflow.get("initial") or (statuses[0]["id"] if statuses else "")
    open_statuses = [s["id"] for s in statuses if not s.get("final") and s["id"] != initial]
    final = [s["id"] for s in statuses if s.get("final")]
    return initial, open_statuses, final


def sample_answer(rng, field, today):
    """A plausible answer for a form field (None: left empty)."""
    kind = field.get("type")
    if not field.get("required") and rng.random() < 0.3:
        return None
    if kind in {"text"}:
        field_id = field.get("id", "")
        if "prenom" in field_id:
            return rng.choice(FIRST_NAMES)
        if "nom" in field_id:
            return rng.choice(LAST_NAMES)
        if "siret" in field_id:
            return "".join(str(rng.randint(0, 9)) for _ in range(14))
        return rng.choice(["Voir description", "Près de l'école", "Bâtiment B", "Référence 2024-118",
                           "Au fond de l'impasse", "Sortie du parking"])[: (field.get("validation") or {}).get(
                               "max_length") or 200]
    if kind == "textarea":
        return "texte"  # replaced per request
    if kind == "email":
        return f"{slug_ascii(rng.choice(FIRST_NAMES))}@courriel.example"
    if kind == "phone":
        return f"+336{rng.randint(10_000_000, 99_999_999)}"
    if kind == "choice":
        choices = field.get("choices") or []
        return rng.choice(choices)["value"] if choices else None
    if kind == "multichoice":
        choices = [choice["value"] for choice in field.get("choices") or []]
        return sorted(rng.sample(choices, rng.randint(1, min(2, len(choices)))), key=choices.index) if choices else None
    if kind == "boolean":
        return rng.random() < 0.3
    if kind == "number":
        return str(rng.randint(1, 6))
    if kind == "date":
        return (today - datetime.timedelta(days=rng.randint(0, 400))).isoformat()
    if kind == "address":
        return {"street": "1 rue", "postcode": "", "city": "", "lat": "", "lon": ""}  # replaced per request
    return None  # comments, titles, files, computed values, household members, blocks


def check_references(conn):
    """The load ran without foreign-key triggers: check that every reference of the generated rows exists."""
    from django.apps import apps

    problems = []
    for label in ("service_requests.ServiceRequest", "service_requests.RequestEvent", "accounts.User"):
        model = apps.get_model(label)
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.related_model is None:
                continue
            target = field.related_model._meta.db_table
            missing = conn.execute(
                f'SELECT COUNT(*) FROM "{model._meta.db_table}" t WHERE t."{field.column}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{target}" r WHERE r.id = t."{field.column}")'
            ).fetchone()[0]
            if missing:
                problems.append(f"{model._meta.db_table}.{field.column}: {missing}")
    if problems:
        raise SystemExit("Références manquantes : " + ", ".join(problems))


# ---------------------------------------------------------------------------------------------------------------


def main():
    options = parse_options()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if url.startswith("sqlite"):
        raise SystemExit("Ce banc d'essai tourne sur PostgreSQL (DATABASE_URL=postgres://…/guichet_bench).")
    prepare_database(url, options.regenerate)
    setup_django(url)
    from django.core.management import call_command

    if not options.measure_only:
        step = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"Migrations appliquées en {time.monotonic() - step:.0f} s", flush=True)
    conn = raw_connection(url)
    info = generation_info(conn)
    conn.close()
    wanted = {"requests": options.requests, "organisations": options.organisations}
    if info and all(info.get(key) == value for key, value in wanted.items()):
        print(f"Données déjà générées le {info['generated_at']} (en {info['seconds']} s) : génération sautée.")
    elif info or has_rows(url):
        raise SystemExit("La base contient d'autres données : relancez avec --regenerate.")
    else:
        Generator(url, options).run()
    if not options.measure_only:
        build_search_index(url)
    if not options.skip_measure:
        measure_all(url, options)
    return 0


def has_rows(url):
    conn = raw_connection(url)
    try:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM organisations_organisation)").fetchone()[0]
    finally:
        conn.close()


def build_search_index(url):
    from django.core.management import call_command, get_commands

    conn = raw_connection(url)
    if "reindex_requests" in get_commands():
        step = time.monotonic()
        call_command("reindex_requests")
        print(f"Index de recherche reconstruit (manage.py reindex_requests) en {time.monotonic() - step:.0f} s")
    else:
        print("Pas encore de commande reindex_requests : index de recherche non construit.")
    step = time.monotonic()
    conn.autocommit = True
    conn.execute("VACUUM (ANALYZE)")  # as autovacuum would have: statistics, visibility map (index-only scans)
    conn.close()
    print(f"VACUUM (ANALYZE) en {time.monotonic() - step:.0f} s", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Measurements


def client_for(organisation, user):
    """A browser on the collectivité's host signed in as `user` (agents pass TOTP too), as in tests/conftest.py."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client(HTTP_HOST=f"{organisation.slug}.localhost")
    client.force_login(user, backend="guichet.accounts.backends.OrganisationBackend")
    if user.is_agent:
        device = user.totpdevice_set.filter(confirmed=True).first()
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def timed_runs(get, runs):
    """Call `get()` `runs` times → (wall-clock ms, CPU ms, SQL ms) of each run, and the queries of one more call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sql_time = [0.0]

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - started

    times, cpu_times, sql_times = [], [], []
    with connection.execute_wrapper(timer):
        for _ in range(runs):
            sql_time[0] = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            get()
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            sql_times.append(sql_time[0] * 1000)
    with CaptureQueriesContext(connection) as captured:
        get()
    return times, cpu_times, sql_times, captured.captured_queries


def explained(queries):
    """[(execution ms, sql, plan lines)] of the SELECT queries, slowest first (EXPLAIN (ANALYZE, BUFFERS))."""
    from django.db import connection

    results = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
            executed = next((float(line.split(":")[1].split()[0]) for line in plan
                             if line.startswith("Execution Time")), 0.0)
            results.append((executed, sql, plan))
    return sorted(results, key=lambda item: -item[0])


class Page:
    def __init__(self, title, client, url, main_table, expect=None):
        self.title, self.client, self.url, self.main_table, self.expect = title, client, url, main_table, expect

    def get(self):
        response = self.client.get(self.url)
        if response.status_code != 200:
            raise SystemExit(f"{self.title} : {self.url} a répondu {response.status_code}")
        if self.expect and self.expect.encode() not in response.content:
            raise SystemExit(f"{self.title} : {self.url} ne montre pas « {self.expect} »")
        return response

    def measure(self, runs, warmup):
        for _ in range(warmup):
            self.get()
        self.times, self.cpu, self.sql, self.queries = timed_runs(self.get, runs)
        return self

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def p95(self):
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]

    def explained(self):
        """[(execution ms, sql, plan lines)] of the page's SELECT queries, slowest first (EXPLAIN ANALYZE)."""
        return explained(self.queries)

    def report(self, explain=True):
        print(f"\n## {self.title}\nGET {self.url}")
        print(f"temps total : médiane {self.median:.1f} ms · p95 {self.p95:.1f} ms · min {min(self.times):.1f} ms "
              f"({len(self.times)} mesures) ; dont SQL : médiane {statistics.median(self.sql):.1f} ms ; "
              f"CPU du processus Django : médiane {statistics.median(self.cpu):.1f} ms · {len(self.queries)} "
              f"requêtes SQL")
        if explain:
            explained = self.explained()
            print("Requêtes (temps d'exécution selon EXPLAIN ANALYZE) :")
            for executed, sql, _plan in explained:
                print(f"  {executed:7.2f} ms  {' '.join(sql.split())[:150]}")
            executed, sql, plan = explained[0]
            print(f"\nRequête principale ({executed:.2f} ms) :\n{sql}\n")
            print("\n".join(plan))


def pick_queue_agent(organisation):
    """An agent of the collectivité's busiest service (by open requests)."""
    from django.db.models import Count

    from guichet.accounts.models import User
    from guichet.agents.models import Membership
    from guichet.service_requests.models import ServiceRequest

    busiest = (ServiceRequest.objects.of(organisation).filter(state="submitted", closed_at__isnull=True)
               .values("service").annotate(n=Count("pk")).order_by("-n").first())
    membership = (Membership.objects.of(organisation).filter(service_id=busiest["service"], role="agent")
                  .order_by("pk").first())
    # The commonest status of its open, overdue requests after the initial one (« Prise en charge »…).
    status = (ServiceRequest.objects.of(organisation)
              .filter(state="submitted", service_id=busiest["service"], closed_at__isnull=True,
                      withdrawn_at__isnull=True, deadline__lt=datetime.date.today())
              .exclude(status="recue").values("status").annotate(n=Count("pk")).order_by("-n").first())
    return User.objects.get(pk=membership.user_id), busiest["service"], status["status"], status["n"]


def first_of_queue(organisation, service_id, status):
    from guichet.service_requests.models import ServiceRequest

    return (ServiceRequest.objects.of(organisation)
            .filter(state="submitted", service_id=service_id, status=status, closed_at__isnull=True,
                    withdrawn_at__isnull=True, deadline__lt=datetime.date.today())
            .order_by("deadline", "pk").values_list("tracking_code", flat=True).first())


# Searches by an agent of the collectivité's largest service (« Relation aux usagers » in the data measured:
# complaints and suggestions): common and rarer words, several words, a citizen's name with a street.
SEARCHES = ["cantine facture", "bruit chantier", "horaires piscine", "jardin partagé gare",
            "arceaux vélos médiathèque", "Martin Victor-Hugo"]


def pick_search_agent(organisation):
    """An agent of the collectivité's service with the most requests."""
    from django.db.models import Count

    from guichet.accounts.models import User
    from guichet.agents.models import Membership
    from guichet.service_requests.models import ServiceRequest

    largest = (ServiceRequest.objects.of(organisation).filter(state="submitted").values("service")
               .annotate(n=Count("pk")).order_by("-n").first())
    membership = (Membership.objects.of(organisation).filter(service_id=largest["service"], role="agent")
                  .order_by("pk").first())
    return User.objects.get(pk=membership.user_id), largest["service"], largest["n"]


def measure_all(url, options):
    from django.urls import NoReverseMatch, reverse

    from guichet.accounts.models import User
    from guichet.organisations.models import Organisation
    from guichet.service_requests.models import ServiceRequest

    from django.db import connection

    connection_info = database_name(url)
    if options.nice:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        os.setpriority(os.PRIO_PROCESS, 0, options.nice)
        os.setpriority(os.PRIO_PROCESS, backend, options.nice)
        print(f"Priorité {options.nice} pour ce processus et son processus PostgreSQL n° {backend}")
    load = os.getloadavg()
    print(f"\n# Mesures ({connection_info}, {ServiceRequest.objects.count()} demandes, charge de la machine "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})")
    organisation = Organisation.objects.order_by("pk").first()  # the largest collectivité
    in_org = ServiceRequest.objects.of(organisation).filter(state="submitted").count()
    print(f"Collectivité mesurée : {organisation.name} ({in_org} demandes envoyées)")
    pages = []
    wanted = set(options.pages.split(","))

    agent, service_id, status, matching = pick_queue_agent(organisation)
    agent_client = client_for(organisation, agent)
    if "queue" in wanted:
        pages.append(Page(f"File d'attente d'un agent (service n° {service_id}, statut « {status} », en retard : "
                          f"{matching} demandes, par date limite, 50 lignes)", agent_client,
                          f"{reverse('agent_requests:list')}?status={status}&deadline_state=overdue&sort=deadline",
                          "service_requests_servicerequest", expect=first_of_queue(organisation, service_id, status)))
    if "mine" in wanted:
        citizen = User.objects.get(organisation=organisation, email=f"usager.50@{organisation.slug}.example.fr")
        pages.append(Page("« Mes demandes » d'un usager (50 demandes, 2 brouillons)", client_for(organisation, citizen),
                          reverse("service_requests:mine"), "service_requests_servicerequest",
                          expect=ServiceRequest.objects.filter(citizen=citizen, state="submitted")
                          .order_by("-submitted_at", "-pk").values_list("tracking_code", flat=True).first()))
    searches = []
    if "search" in wanted:
        try:
            search = reverse("search:results")
        except NoReverseMatch:
            search = None
            print("La recherche (/agents/recherche/) n'existe pas encore : non mesurée.")
        search_agent, search_service, in_service = pick_search_agent(organisation)
        search_client = client_for(organisation, search_agent)
        for words in SEARCHES if search else ():
            from guichet.search.services import search_requests

            search_agent.is_verified = lambda: True  # as django-otp's middleware marks the signed-in agent
            found = search_requests(search_agent, organisation, words)
            first = found.values_list("tracking_code", flat=True).first()
            searches.append(Page(f"Recherche « {words} » (agent du service n° {search_service}, {in_service} "
                                 f"demandes ; {found.count()} résultats)", search_client,
                                 f"{search}?{urllib.parse.urlencode({'q': words})}", "search_requestsearch",
                                 expect=first))
        pages += searches
    for page in pages:
        page.measure(options.runs, options.warmup)
        page.report(explain=not options.no_explain)
    print("\n# Résumé")
    for page in pages:
        print(f"- {page.title} : médiane {page.median:.1f} ms, p95 {page.p95:.1f} ms (SQL {statistics.median(page.sql):.1f}"
              f" ms, CPU {statistics.median(page.cpu):.1f} ms), {len(page.queries)} requêtes")
    if searches:
        all_times = [t for page in searches for t in page.times]
        print(f"- Recherche par mots, toutes requêtes : médiane {statistics.median(all_times):.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
