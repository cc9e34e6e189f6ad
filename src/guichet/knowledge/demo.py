"""Demo sheets: `load_demo(organisation)` gives a collectivité 3 themes and 8 realistic sheets (état civil,
voirie et propreté with graffiti removal, scolaire), 5 of them public, one past its review date, related to
the procedures of the Guichet catalogue the collectivité has (by slug). Idempotent: run again, it leaves the
existing sheets (same question) as they are."""

import datetime

from django.utils import timezone
from django.utils.text import slugify

from guichet.agents.models import Service
from guichet.procedures.models import Procedure

from . import services
from .models import Sheet, Theme

THEMES = [("État civil", 10), ("Voirie et propreté", 20), ("Scolaire et périscolaire", 30)]

# (theme, service, question, answer, public, review in days (negative: past), procedure slugs)
SHEETS = [
    ("État civil", "État civil", "Comment obtenir un acte de naissance ?",
     "<p>L'acte de naissance se demande à la <strong>mairie du lieu de naissance</strong>, gratuitement.</p>"
     "<ul><li>en ligne, avec la démarche « Demande d'acte d'état civil » ;</li><li>au guichet de l'état civil, "
     "avec une pièce d'identité ;</li><li>par courrier, en joignant une enveloppe timbrée.</li></ul>"
     "<p>Délai habituel : 5 jours ouvrés. Une personne née à l'étranger s'adresse au "
     "<a href=\"https://www.diplomatie.gouv.fr\">service central d'état civil de Nantes</a>.</p>",
     True, 180, ["demande-acte-etat-civil"]),
    ("État civil", "État civil", "Que faire en cas de perte du livret de famille ?",
     "<p>Un second livret (duplicata) se demande à la mairie du domicile, qui le fait remplir par les mairies "
     "des événements inscrits (mariage, naissances).</p><p>Comptez <em>un à deux mois</em>. Fournir une pièce "
     "d'identité et, en cas de vol, la déclaration faite à la police.</p>",
     True, 365, ["duplicata-livret-famille"]),
    ("État civil", "État civil", "Comment prendre rendez-vous pour un mariage ?",
     "<p>Le dossier de mariage se dépose <strong>au moins deux mois</strong> avant la date souhaitée, sur "
     "rendez-vous au service état civil. La publication des bans dure dix jours.</p><h3>Pièces à réunir</h3>"
     "<ul><li>pièces d'identité des futurs époux ;</li><li>justificatifs de domicile ;</li><li>actes de "
     "naissance de moins de trois mois ;</li><li>liste des témoins.</li></ul>",
     False, -30, []),
    ("Voirie et propreté", "Services techniques", "Comment faire enlever un graffiti ?",
     "<p>La commune enlève <strong>gratuitement</strong> les graffitis et tags visibles depuis la voie publique, "
     "y compris sur les façades privées, avec l'accord écrit du propriétaire.</p><ul><li>signalez-le en ligne "
     "avec la démarche « Enlèvement de graffitis », en joignant une photo ;</li><li>un tag injurieux est traité "
     "sous 48 heures, les autres sous 15 jours.</li></ul><blockquote>Les façades classées ou fragiles "
     "demandent un diagnostic préalable.</blockquote>",
     True, 200, ["enlevement-graffitis"]),
    ("Voirie et propreté", "Services techniques", "Un nid-de-poule ou un trottoir abîmé : qui prévenir ?",
     "<p>Signalez-le avec la démarche « Signalement voirie » (adresse précise et photo). Les services "
     "techniques sécurisent un danger immédiat le jour même.</p><p>Sur une route départementale, "
     "la demande est transmise au Département.</p>",
     True, 120, ["signalement-voirie"]),
    ("Voirie et propreté", "Services techniques", "Consigne interne : encombrants déposés sur le trottoir",
     "<p>Ne pas promettre de date d'enlèvement à l'usager. Noter l'adresse, transférer au service propreté "
     "(poste 2245), qui passe le mardi et le vendredi. Dépôt sauvage répété : informer la police municipale.</p>",
     False, 90, []),
    ("Scolaire et périscolaire", "Scolaire", "Comment inscrire mon enfant à l'école ?",
     "<p>L'inscription se fait en deux temps :</p><ol><li>à la mairie (en ligne avec la démarche « Inscription "
     "scolaire »), qui délivre un certificat d'inscription ;</li><li>puis auprès du directeur de l'école, avec "
     "ce certificat et le carnet de santé.</li></ol><p>Les inscriptions de la rentrée ouvrent en mars.</p>",
     True, 150, ["inscription-scolaire"]),
    ("Scolaire et périscolaire", "Scolaire", "Comment annuler un repas de cantine ?",
     "<p>Un repas s'annule <strong>au plus tard la veille avant 10 heures</strong> (le vendredi pour le lundi), "
     "en ligne. Passé ce délai, il est facturé, sauf maladie justifiée par un certificat médical.</p>",
     False, 60, ["annulation-repas-cantine"]),
]


def load_demo(organisation, author=None):
    """Create the demo themes and sheets of `organisation` (services found by name, created when missing)."""
    themes = {}
    for name, position in THEMES:
        themes[name], _created = Theme.objects.get_or_create(organisation=organisation, name=name,
                                                             defaults={"position": position})
    service_by_name = {}
    for name in {sheet[1] for sheet in SHEETS}:
        service_by_name[name] = (
            Service.objects.of(organisation).filter(name=name).first()
            or Service.objects.get_or_create(organisation=organisation, slug=slugify(name), defaults={"name": name})[0]
        )
    if author is None:
        from guichet.accounts.models import User

        author = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_org_admin=True,
                                     is_active=True).order_by("pk").first()
    procedures = {procedure.slug: procedure for procedure in Procedure.objects.of(organisation)}
    today = timezone.localdate()
    created = []
    for theme, service, question, answer, public, review_days, slugs in SHEETS:
        if Sheet.objects.of(organisation).filter(question=question).exists():
            continue
        sheet = services.write_sheet(
            organisation, author, question=question, answer=answer, theme=themes[theme],
            service=service_by_name[service], is_public=public, review_on=today + datetime.timedelta(days=review_days),
            procedures=[procedures[slug] for slug in slugs if slug in procedures],
        )
        created.append(sheet)
    return created

