"""Benchmark of the elected members' dashboards on the back office's bench database (see back_office.py).

    .venv/bin/python bench/back_office.py                   # once: generates the 1,000,000 requests
    .venv/bin/python bench/dashboards.py                    # measures /agents/tableaux-de-bord/
    .venv/bin/python bench/dashboards.py --runs 20 --no-explain

Read-only on the bench database (its own data, nothing is written but the sessions of the measuring clients).
Measures, on the largest collectivité, with Django's test Client (DEBUG off, warm-up first, median and p95): the
dashboard of its elected member (every service of the remit, last twelve months), of its administrator (the
whole collectivité), and of one service over two years; prints the SQL queries per page and the EXPLAIN
(ANALYZE, BUFFERS) of the slowest query — figures computed at every run (cache off), then served from the
cache as in production (GUICHET_DASHBOARD_CACHE_SECONDS, five minutes).
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import back_office  # noqa: E402 — the bench's own helpers (database, Django set-up, measured pages)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-explain", action="store_true")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", back_office.DEFAULT_URL)
    if not back_office.database_name(url).startswith("guichet_bench"):
        raise SystemExit("The bench works on its own database only (name starting with guichet_bench).")
    back_office.setup_django(url)

    from django.urls import reverse
    from django.utils import timezone

    from guichet.accounts.models import User
    from guichet.agents.models import Membership
    from guichet.organisations.models import Organisation
    from guichet.service_requests.models import ServiceRequest

    organisation = Organisation.objects.order_by("pk").first()
    count = ServiceRequest.objects.of(organisation).filter(state="submitted").count()
    load = os.getloadavg()
    print(f"# Tableaux de bord ({ServiceRequest.objects.count()} demandes en tout ; {organisation.name} : {count} "
          f"demandes envoyées ; charge {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})")
    elected_membership = Membership.objects.of(organisation).filter(role=Membership.Role.ELECTED).first()
    elected = User.objects.get(pk=elected_membership.user_id)
    admin = User.objects.filter(organisation=organisation, is_org_admin=True).first()
    url = reverse("dashboards:dashboard")
    today = timezone.localdate()
    two_years = f"?service={elected_membership.service_id}&start={today.replace(year=today.year - 2)}&end={today}"
    pages = [
        back_office.Page("Tableau de bord d'un élu (tous les services de sa délégation, douze derniers mois)",
                         back_office.client_for(organisation, elected), url, "service_requests_servicerequest"),
        back_office.Page("Tableau de bord de l'administrateur (toute la collectivité, douze derniers mois)",
                         back_office.client_for(organisation, admin), url, "service_requests_servicerequest"),
        back_office.Page("Tableau de bord d'un élu, un service, deux ans",
                         back_office.client_for(organisation, elected), url + two_years,
                         "service_requests_servicerequest"),
    ]
    from django.conf import settings
    from django.core.cache import cache

    settings.GUICHET_DASHBOARD_CACHE_SECONDS = 0  # every run computes the figures
    for page in pages:
        page.measure(options.runs, options.warmup)
        page.report(explain=not options.no_explain)
    settings.GUICHET_DASHBOARD_CACHE_SECONDS = 300  # as in production: the figures kept five minutes
    cache.clear()
    cached = back_office.Page("Tableau de bord d'un élu, chiffres gardés en cache", pages[0].client, url,
                              "service_requests_servicerequest").measure(options.runs, 1)
    print("\n# Résumé")
    for page in pages:
        print(f"- {page.title}, chiffres calculés : médiane {page.median:.1f} ms, p95 {page.p95:.1f} ms, "
              f"{len(page.queries)} requêtes")
    print(f"- {cached.title} : médiane {cached.median:.1f} ms, p95 {cached.p95:.1f} ms, {len(cached.queries)} requêtes")


if __name__ == "__main__":
    sys.exit(main())
