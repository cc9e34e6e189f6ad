"""Benchmark of the knowledge base's search on PostgreSQL: 20,000 sheets, timed as the call screen uses it.

    .venv/bin/python bench/knowledge.py                 # generate once (skipped when there), measure
    .venv/bin/python bench/knowledge.py --regenerate    # drop the bench database and start over
    .venv/bin/python bench/knowledge.py --sheets 50000 --runs 50

Works on its own database only (default `postgres://postgres@127.0.0.1:5432/guichet_bench_knowledge`; the name
must start with `guichet_bench`), created and migrated when missing (helpers of `bench/back_office.py`).

1. Generation (skipped when the collectivités are there with their sheets): 3 collectivités (the first one holds
   75 % of the sheets, so that the tenant condition matters), 12 themes and 5 services each, sheets whose
   questions and answers are French sentences drawn from a vocabulary of local services (with « graffitis »,
   « acte de naissance », « cantine »…), written in bulk (`bulk_create`, folded texts by `search.index_fields`,
   then the vectors by `search.reindex_sheets`, the code of the app), one version each; VACUUM ANALYZE.
2. Measures: `search_sheets(organisation, text)` (limit 20) in-process for several texts (prefixes while
   typing, two words, a rare word, nothing found), warm-up first, `--runs` runs each: p50 and p95 per text and
   overall (two queries: the ranked ids, then their rows); then the call screen's fragment
   (`/agents/connaissances/recherche/?q=…&partial=1`, Django test Client, an agent with TOTP) p50/p95; and the
   EXPLAIN (ANALYZE, BUFFERS) of the ranked ids of the slowest text.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.back_office import prepare_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/guichet_bench_knowledge"
SEED = 20261201
SLUGS = ["bench-kb-grandval", "bench-kb-rivemont", "bench-kb-charmont"]
SHARES = [0.75, 0.15, 0.10]
THEMES = ["État civil", "Élections", "Scolaire et périscolaire", "Petite enfance", "Voirie", "Propreté",
          "Déchets", "Urbanisme", "Stationnement", "Social et CCAS", "Culture et sport", "Vie associative"]
SERVICES = ["Accueil", "État civil", "Services techniques", "Scolaire", "Urbanisme"]
SUBJECTS = [
    "un acte de naissance", "un acte de mariage", "un livret de famille", "une carte d'identité", "un passeport",
    "l'inscription sur les listes électorales", "l'inscription à l'école", "la cantine", "le centre de loisirs",
    "une place en crèche", "un nid-de-poule", "l'éclairage public", "un graffiti", "les tags sur une façade",
    "les encombrants", "les ordures ménagères", "le tri sélectif", "un permis de construire",
    "une déclaration préalable de travaux", "une carte de stationnement résidentiel", "une salle municipale",
    "une subvention associative", "la médiathèque", "la piscine", "un arbre dangereux", "un chien errant",
    "une aide alimentaire", "le portage de repas", "un recensement citoyen", "une concession au cimetière",
]
VERBS = ["Comment obtenir", "Comment signaler", "Où demander", "Qui contacter pour", "Quel délai pour",
         "Que faire pour", "Combien coûte", "Comment annuler"]
SENTENCES = [
    "La demande se fait en ligne ou au guichet de la mairie, du lundi au vendredi.",
    "Munissez-vous d'une pièce d'identité et d'un justificatif de domicile de moins de trois mois.",
    "Le service répond sous quinze jours ; un accusé de réception est envoyé par courriel.",
    "Les services techniques interviennent sous 48 heures en cas de danger.",
    "La démarche est gratuite, sauf pour les copies certifiées.",
    "En cas d'urgence le week-end, appelez la police municipale.",
    "Le formulaire est disponible à l'accueil et sur le site de la commune.",
    "Pour les façades privées, l'accord écrit du propriétaire est demandé.",
    "L'inscription ouvre en mars pour la rentrée de septembre.",
    "Les réparations sont programmées selon l'ordre d'arrivée des signalements.",
    "La facture est envoyée au début du mois suivant.",
    "Le dossier incomplet est renvoyé avec la liste des pièces manquantes.",
]
QUERIES = ["graff", "graffiti façade", "acte naiss", "acte de naissance", "cantine", "passeport délai",
           "stationnement résidentiel", "encombr", "crèche place", "cimetière concession", "zzzzqqq"]


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sheets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--regenerate", action="store_true")
    return parser.parse_args()


def generate(total):
    from django.db import connection, transaction

    from guichet.accounts.models import User
    from guichet.agents.models import Membership, Service
    from guichet.knowledge import search
    from guichet.knowledge.models import Sheet, SheetVersion, Theme
    from guichet.knowledge.richtext import sanitise
    from guichet.organisations.models import Organisation

    rng = random.Random(SEED)
    started = time.perf_counter()
    for slug, share in zip(SLUGS, SHARES, strict=True):
        with transaction.atomic():
            organisation = Organisation.objects.create(slug=slug, name=slug.removeprefix("bench-kb-").title())
            themes = [Theme.objects.create(organisation=organisation, name=name, position=index)
                      for index, name in enumerate(THEMES)]
            services = [Service.objects.create(organisation=organisation, name=name, slug=f"s{index}")
                        for index, name in enumerate(SERVICES)]
            agent = User.objects.create_user(f"agent@{slug}.example.fr", "banc-d-essai-2026", organisation=organisation,
                                             kind=User.Kind.AGENT, email_confirmed=True, first_name="Agent",
                                             last_name="Banc")
            from django_otp.plugins.otp_totp.models import TOTPDevice

            TOTPDevice.objects.create(user=agent, name="Application", confirmed=True)
            Membership.objects.create(organisation=organisation, user=agent, service=services[0])
            sheets = []
            for number in range(int(total * share)):
                question = f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)} ? ({number})"
                answer = sanitise("".join(f"<p>{sentence}</p>" for sentence in rng.sample(SENTENCES, 4))
                                  + f"<ul><li>{rng.choice(SUBJECTS)}</li><li>{rng.choice(SUBJECTS)}</li></ul>")
                sheet = Sheet(organisation=organisation, theme=rng.choice(themes), service=rng.choice(services),
                              question=question, answer=answer, is_public=rng.random() < 0.4, version_number=1,
                              created_by=agent, updated_by=agent)
                search.index_fields(sheet)
                sheets.append(sheet)
            Sheet.objects.bulk_create(sheets, batch_size=2000)
            SheetVersion.objects.bulk_create(
                [SheetVersion(organisation=organisation, sheet=sheet, number=1, question=sheet.question,
                              answer=sheet.answer, author=agent) for sheet in sheets], batch_size=2000)
            search.reindex_sheets([sheet.pk for sheet in sheets])
        print(f"  {organisation.name} : {len(sheets)} fiches")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE knowledge_sheet")
    print(f"Génération : {time.perf_counter() - started:.1f} s")


def percentiles(samples):
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return statistics.median(samples) * 1000, p95 * 1000


def measure(runs):
    from django.db import connection
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from guichet.accounts.models import User
    from guichet.knowledge.models import Sheet
    from guichet.knowledge.search import matching_sheets, parse_words, search_sheets
    from guichet.organisations.models import Organisation

    organisation = Organisation.objects.get(slug=SLUGS[0])
    print(f"\n{organisation.name} : {Sheet.objects.of(organisation).count()} fiches "
          f"(toutes collectivités : {Sheet.objects.count()})\n")
    print(f"{'recherche':<28} {'trouvées':>8} {'p50 ms':>8} {'p95 ms':>8}")
    everything, slowest = [], (0, None)
    for text in QUERIES:
        search_sheets(organisation, text)  # warm-up
        samples = []
        for _run in range(runs):
            started = time.perf_counter()
            found = search_sheets(organisation, text)
            samples.append(time.perf_counter() - started)
        everything += samples
        p50, p95 = percentiles(samples)
        total = matching_sheets(organisation, parse_words(text)).count()
        print(f"{text:<28} {total:>8} {p50:>8.2f} {p95:>8.2f}")
        slowest = max(slowest, (p50, text), key=lambda item: item[0])
        assert text != "graff" or any("graffiti" in sheet.question for sheet in found)
    p50, p95 = percentiles(everything)
    print(f"{'toutes (search_sheets)':<28} {'':>8} {p50:>8.2f} {p95:>8.2f}")

    agent = User.objects.get(organisation=organisation, kind=User.Kind.AGENT)
    client = Client(HTTP_HOST=f"{organisation.slug}.localhost")
    client.force_login(agent, backend="guichet.accounts.backends.OrganisationBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = agent.totpdevice_set.get().persistent_id
    session.save()
    samples = []
    for text in QUERIES:
        assert client.get("/agents/connaissances/recherche/", {"q": text, "partial": "1"}).status_code == 200
        for _run in range(max(3, runs // 3)):
            started = time.perf_counter()
            client.get("/agents/connaissances/recherche/", {"q": text, "partial": "1"})
            samples.append(time.perf_counter() - started)
    p50, p95 = percentiles(samples)
    print(f"{'fragment ?partial=1 (HTTP)':<28} {'':>8} {p50:>8.2f} {p95:>8.2f}")

    text = slowest[1]
    ranked = matching_sheets(organisation, parse_words(text), related=False).values_list("pk", flat=True)[:20]
    sql, params = ranked.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print(f"\nEXPLAIN de « {text} » :")
        for (line,) in cursor.fetchall():
            print("  " + line)


def main():
    options = parse_options()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("Ce banc d'essai tourne sur PostgreSQL (DATABASE_URL=postgres://…/guichet_bench_knowledge).")
    prepare_database(url, options.regenerate)
    setup_django(url)
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"Migrations : {time.perf_counter() - started:.1f} s")
    from guichet.knowledge.models import Sheet
    from guichet.organisations.models import Organisation

    present = Organisation.objects.filter(slug__in=SLUGS).count()
    if present != len(SLUGS) or Sheet.objects.filter(organisation__slug__in=SLUGS).count() < options.sheets * 0.99:
        if present:
            raise SystemExit("Données incomplètes d'un essai précédent : relancez avec --regenerate.")
        print(f"Génération de {options.sheets} fiches…")
        generate(options.sheets)
    measure(options.runs)


if __name__ == "__main__":
    main()
