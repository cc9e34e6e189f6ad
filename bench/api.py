"""Benchmark of the public APIs (REST /api/v1/ and Open311 /open311/v2/) at scale on PostgreSQL.

    .venv/bin/python bench/api.py                      # generate once (skipped when there), measure
    .venv/bin/python bench/api.py --regenerate         # drop the bench database and start over
    .venv/bin/python bench/api.py --runs 50 --only rest

Works on its own database only (default `postgres://postgres@127.0.0.1:5432/guichet_bench_api`; the name must
start with `guichet_bench`), created and migrated when missing and kept between runs (helpers and generator of
`bench/back_office.py`).

1. Generation (skipped when a previous run with the same parameters finished): `back_office.Generator` with
   `--requests` (200,000) in `--organisations` (3) collectivités, the first one, « Grandval », holding 75 % of
   them (the rest shared by the others, power law) so that the tenant condition matters: services, agents,
   citizens, the 8 catalogue procedures imported and published with the real code, ~3 timeline events per
   request, requests submitted over the last two years; then VACUUM (ANALYZE). About 2 minutes on 2 cores.
2. Set-up on every run: the generated procedures are ticked « Exposée en Open311 » (`Procedure.open311`); the
   bench's API client of the largest collectivité is recreated with every scope (`api_clients.services.
   create_client`, rate limit at its maximum so that the runs are not refused).
3. Measures in-process with Django's test Client on the collectivité's host (DEBUG off, `--warmup` calls first,
   then `--runs` calls): p50 and p95 of the wall-clock time, the SQL and CPU times and the SQL queries per call,
   for the REST API (first page of 50, a page ~20 `next` links deep, filters by status, procedure and
   updated_since, a request, its timeline, the procedures, the OpenAPI document built per request) and Open311
   (requests in JSON and XML over the default 90-day window — up to 1000 results —, with service_code and
   status, one request, the services, FixMyStreet's servicerequestupdates with the api_key). Each call's SELECTs
   are EXPLAINed: a sequential scan of the requests' or events' table is flagged; the EXPLAIN (ANALYZE, BUFFERS)
   of the slowest query of the slowest call is printed (of every call with `--explain-all`).
"""

import argparse
import datetime
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench import back_office  # noqa: E402
from bench.back_office import (  # noqa: E402
    database_name, explained, generation_info, has_rows, prepare_database, raw_connection, setup_django,
    timed_runs,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/guichet_bench_api"
LARGEST_SHARE = 0.75
CLIENT_NAME = "Banc d'essai de l'API"
PAGE = 50  # the page size measured (the API's default is 20, its maximum 100)
DEEP = 20  # `next` links followed before timing the deep page
BIG_TABLES = ("service_requests_servicerequest", "service_requests_requestevent")
SLOW_MS = 300


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--organisations", type=int, default=3, choices=range(2, len(back_office.TOWN_NAMES) + 1),
                        metavar="N")
    parser.add_argument("--regenerate", action="store_true", help="drop the bench database and generate again")
    parser.add_argument("--runs", type=int, default=30, help="measured calls per endpoint (after warm-up)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", choices=["rest", "open311"], help="measure one API only")
    parser.add_argument("--explain-all", action="store_true", help="print the plan of every call's slowest query")
    return parser.parse_args()


def organisation_sizes(total, count):
    """The first collectivité holds 75 % of the requests, the others share the rest (power law)."""
    first = int(total * LARGEST_SHARE)
    weights = [1 / (rank ** 0.9) for rank in range(1, count)]
    rest = [int(weight * (total - first) / sum(weights)) for weight in weights]
    return [total - sum(rest)] + rest


def generate(url, options):
    back_office.organisation_sizes = organisation_sizes  # read by Generator.organisations
    back_office.Generator(url, options).run()
    conn = raw_connection(url)
    conn.autocommit = True
    started = time.monotonic()
    conn.execute("VACUUM (ANALYZE)")  # statistics and visibility map, as autovacuum would have made them
    conn.close()
    print(f"VACUUM (ANALYZE) en {time.monotonic() - started:.0f} s", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Set-up of the measured collectivité


def set_up():
    """(organisation, clear secret of an all-scopes client): procedures exposed in Open311, the client renewed."""
    from guichet.api_clients.models import MAX_RATE_LIMIT, ApiClient, Scope
    from guichet.api_clients.services import create_client
    from guichet.organisations.models import Organisation
    from guichet.procedures.models import Procedure

    organisation = Organisation.objects.order_by("pk").first()  # the largest collectivité
    Procedure.objects.filter(state=Procedure.State.PUBLISHED, open311=False).update(open311=True)
    ApiClient.objects.filter(organisation=organisation, name=CLIENT_NAME).delete()
    _client, secret = create_client(organisation, name=CLIENT_NAME, scopes=Scope.values, rate_limit=MAX_RATE_LIMIT)
    return organisation, secret


class Call:
    """One endpoint called with the test Client: timings, SQL time, queries, plans."""

    def __init__(self, api, title, client, url, headers=None, check=None):
        self.api, self.title, self.client, self.url = api, title, client, url
        self.headers, self.check = headers or {}, check

    def get(self):
        response = self.client.get(self.url, headers=self.headers)
        if response.status_code != 200:
            raise SystemExit(f"{self.title} : {self.url} a répondu {response.status_code} : "
                             f"{response.content[:300]!r}")
        if self.check:
            self.check(response)
        return response

    def measure(self, runs, warmup):
        for _ in range(warmup):
            response = self.get()
        self.size = len(response.content)
        self.items = count_items(response)
        self.times, self.cpu, self.sql, self.queries = timed_runs(self.get, runs)
        self.plans = explained(self.queries)
        self.seq_scans = sorted({table for _ms, _sql, plan in self.plans for line in plan for table in BIG_TABLES
                                 if f"Seq Scan on {table}" in line})
        return self

    @property
    def p50(self):
        return statistics.median(self.times)

    @property
    def p95(self):
        return percentile(self.times, 0.95)


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def count_items(response):
    """Items in the answer: `items` of a REST page, the elements of a JSON array, the children of the XML root."""
    content_type = response.get("Content-Type", "")
    if "xml" in content_type:
        from xml.etree import ElementTree

        return len(ElementTree.fromstring(response.content))
    body = response.json()
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return len(body["items"])
    if isinstance(body, dict) and "paths" in body:
        return len(body["paths"])  # the OpenAPI document: its paths
    return 1


# ---------------------------------------------------------------------------------------------------------------
# What is measured


def pick_values(organisation):
    """Filters worth measuring on the collectivité's data: a common and a rare status, a big and a small
    procedure, a request with a long timeline."""
    from django.db.models import Count

    from guichet.service_requests.models import RequestEvent, ServiceRequest

    submitted = ServiceRequest.objects.of(organisation).filter(state="submitted")
    statuses = list(submitted.values("status").annotate(n=Count("pk")).filter(n__gte=PAGE).order_by("-n"))
    procedures = list(submitted.values("procedure__slug").annotate(n=Count("pk")).order_by("-n"))
    busiest = (RequestEvent.objects.of(organisation).filter(request__state="submitted",
                                                            request__anonymised_at__isnull=True)
               .values("request_id").annotate(n=Count("pk")).order_by("-n", "request_id").first())
    code = ServiceRequest.objects.values_list("tracking_code", flat=True).get(pk=busiest["request_id"])
    return {"common_status": statuses[0], "rare_status": statuses[-1], "big_procedure": procedures[0],
            "small_procedure": procedures[-1], "code": code, "events": busiest["n"],
            "total": submitted.count()}


def deep_page_url(client, headers, first_url):
    """The URL of the page reached by following `next` DEEP times from the first page."""
    from urllib.parse import urlsplit

    url = first_url
    for _ in range(DEEP):
        link = urlsplit(client.get(url, headers=headers).json()["next"])
        url = f"{link.path}?{link.query}"
    return url


def expect_items(minimum):
    def check(response):
        if count_items(response) < minimum:
            raise SystemExit(f"{response.request['PATH_INFO']} : {count_items(response)} résultats, attendu ≥ "
                             f"{minimum}")
    return check


def rest_calls(organisation, secret, values):
    from urllib.parse import urlencode

    from django.test import Client

    client = Client(HTTP_HOST=f"{organisation.slug}.localhost")
    headers = {"Authorization": f"Bearer {secret}"}
    first = f"/api/v1/requests?limit={PAGE}"
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    common, rare = values["common_status"], values["rare_status"]
    big, small = values["big_procedure"], values["small_procedure"]
    page = expect_items(PAGE)
    calls = [
        ("1re page (50)", first, page),
        (f"page {DEEP + 1} (après {DEEP} « next »)", deep_page_url(client, headers, first), page),
        (f"status={common['status']} ({common['n']})", f"{first}&status={common['status']}", page),
        (f"status={rare['status']} ({rare['n']})", f"{first}&status={rare['status']}", page),
        (f"procedure={big['procedure__slug']} ({big['n']})", f"{first}&procedure={big['procedure__slug']}", page),
        (f"procedure={small['procedure__slug']} ({small['n']})", f"{first}&procedure={small['procedure__slug']}",
         page),
        ("updated_since=J-30, order=updated_at",
         f"{first}&{urlencode({'order': 'updated_at', 'updated_since': since})}", page),
        ("state=open", f"{first}&state=open", page),
        (f"requests/{{code}} ({values['code']})", f"/api/v1/requests/{values['code']}", None),
        (f"requests/{{code}}/timeline ({values['events']} évén.)", f"/api/v1/requests/{values['code']}/timeline",
         expect_items(values["events"])),
        ("procedures", "/api/v1/procedures", expect_items(1)),
        ("openapi.json", "/api/v1/openapi.json", expect_items(1)),
    ]
    return [Call("REST", title, client, url, headers, check) for title, url, check in calls]


def open311_calls(organisation, secret, values):
    from django.test import Client

    client = Client(HTTP_HOST=f"{organisation.slug}.localhost")
    big = values["big_procedure"]["procedure__slug"]
    calls = [
        ("requests.json (90 j, ≤ 1000)", "/open311/v2/requests.json", expect_items(1000)),
        ("requests.xml (90 j, ≤ 1000)", "/open311/v2/requests.xml", expect_items(1000)),
        (f"requests.json?service_code={big}", f"/open311/v2/requests.json?service_code={big}", expect_items(1)),
        ("requests.json?status=open", "/open311/v2/requests.json?status=open", expect_items(1)),
        ("requests/{id}.json", f"/open311/v2/requests/{values['code']}.json", expect_items(1)),
        ("services.json", "/open311/v2/services.json", expect_items(1)),
        ("servicerequestupdates.json (90 j)", f"/open311/v2/servicerequestupdates.json?api_key={secret}",
         expect_items(1)),
    ]
    return [Call("Open311", title, client, url, None, check) for title, url, check in calls]


def shortened(text, width=400):
    """Long lists of ids (prefetches: `IN (1, 2, …)`, `= ANY ('{1,2,…}')`) cut to their first values."""
    def cut(match):
        values = match.group(2).split(",")
        return f"{match.group(1)}{','.join(values[:5])}, … ({len(values)} valeurs){match.group(3)}"

    text = re.sub(r"(IN \()([^()]{200,})(\))", cut, text)
    text = re.sub(r"('\{)([^}]{200,})(\}')", cut, text)
    return text if len(text) <= width else text[:width] + " …"


def print_plan(call):
    executed, sql, plan = call.plans[0]
    print(f"\n## {call.api} {call.title} — requête la plus lente ({executed:.2f} ms selon EXPLAIN ANALYZE)\n"
          f"GET {shortened(call.url, 200)}\n\n{shortened(sql, 3000)}\n")
    print("\n".join(shortened(line) for line in plan))


def measure(options):
    from guichet.service_requests.models import RequestEvent, ServiceRequest

    organisation, secret = set_up()
    values = pick_values(organisation)
    load = os.getloadavg()
    print(f"\n# Mesures ({ServiceRequest.objects.count()} demandes, {RequestEvent.objects.count()} événements ; "
          f"{organisation.name} : {values['total']} demandes envoyées ; charge {load[0]:.1f} / {load[1]:.1f} / "
          f"{load[2]:.1f} ; {options.warmup} appels de chauffe puis {options.runs} mesurés)")
    if load[0] > os.cpu_count():
        print(f"Attention : machine chargée (charge {load[0]:.1f} pour {os.cpu_count()} cœurs) : les temps d'horloge "
              "sont gonflés par l'attente du processeur ; la colonne CPU l'est moins.")
    calls = []
    if options.only != "open311":
        calls += rest_calls(organisation, secret, values)
    if options.only != "rest":
        calls += open311_calls(organisation, secret, values)
    for call in calls:
        call.measure(options.runs, options.warmup)
        print(f"  {call.api} {call.title} : p50 {call.p50:.1f} ms", flush=True)

    print(f"\n{'API':<8} {'appel':<46} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'CPU p50':>8} {'requêtes':>8} "
          f"{'lignes':>7} {'Ko':>6}  plus lente (EXPLAIN)")
    print("(temps en ms ; SQL : passé dans les appels à la base, lecture des lignes comprise ; CPU : processeur du "
          "processus Django ; lignes : éléments de la réponse ; dernière colonne : temps d'exécution, selon EXPLAIN "
          "ANALYZE, de la requête SQL la plus lente de l'appel)")
    for call in calls:
        slowest = call.plans[0][0] if call.plans else 0.0
        flag = " ⚠ Seq Scan " + ", ".join(call.seq_scans) if call.seq_scans else ""
        flag += " ⚠ lent" if call.p50 > SLOW_MS else ""
        print(f"{call.api:<8} {call.title[:46]:<46} {call.p50:>8.1f} {call.p95:>8.1f} "
              f"{statistics.median(call.sql):>8.1f} {statistics.median(call.cpu):>8.1f} {len(call.queries):>8} "
              f"{call.items:>7} {call.size / 1024:>6.0f}"
              f"  {slowest:.2f} ms{flag}")
    slowest_call = max(calls, key=lambda call: call.p50)
    print(f"\nAppel le plus lent : {slowest_call.api} {slowest_call.title} (p50 {slowest_call.p50:.1f} ms, dont SQL "
          f"{statistics.median(slowest_call.sql):.1f} ms)")
    for call in calls if options.explain_all else [slowest_call]:
        if call.plans:
            print_plan(call)
    flagged = [call for call in calls if call.seq_scans and call is not slowest_call and not options.explain_all]
    for call in flagged:
        print_plan(call)


def main():
    options = parse_options()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("Ce banc d'essai tourne sur PostgreSQL (DATABASE_URL=postgres://…/guichet_bench_api).")
    prepare_database(url, options.regenerate)
    setup_django(url)
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"Base {database_name(url)} : migrations appliquées en {time.monotonic() - started:.0f} s", flush=True)
    conn = raw_connection(url)
    info = generation_info(conn)
    conn.close()
    if info and info.get("requests") == options.requests and info.get("organisations") == options.organisations:
        print(f"Données déjà générées le {info['generated_at']} (en {info['seconds']} s) : génération sautée.")
    elif info or has_rows(url):
        raise SystemExit("La base contient d'autres données : relancez avec --regenerate.")
    else:
        print(f"Génération de {options.requests} demandes dans {options.organisations} collectivités…", flush=True)
        generate(url, options)
    measure(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
