"""The read-only dashboards: figures of the requests of the remit (org admins: everything; elected members: the
services of their remit), filters, bad input, permissions, tenant isolation, no personal data, constant queries."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guichet.agents.models import Membership
from guichet.satisfaction.models import Rating, ReopenRequest
from guichet.service_requests.models import ServiceRequest
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.documents.builders import make_request, make_version

pytestmark = pytest.mark.django_db

URL = reverse("dashboards:dashboard")
PERIOD = {"start": "2026-03-01", "end": "2026-04-30"}
# Recognisable personal data put in the requests: none of it may reach a dashboard.
PERSONAL = [
    "Zéphyrine", "Quintaflor", "zephyrine.quintaflor@example.org", "06 12 34 56 78", "0612345678",
    "Barnabé Sansonnet", "barnabe.sansonnet@example.org", "07 98 76 54 32",
    "12 rue des Lilas-Secrètes", "Texte-très-confidentiel", "Commentaire-confidentiel", "Motif-confidentiel",
]


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def aware_date(value):
    return datetime.date.fromisoformat(value)


@pytest.fixture
def parks(organisation):
    return make_service(organisation, name="Espaces verts", slug="espaces-verts")


@pytest.fixture
def data(organisation, other_organisation, service, parks):
    """Saint-Aubin's requests (and one of Montclair's) with personal data everywhere it can hide."""
    citizen = make_citizen(organisation, email="zephyrine.quintaflor@example.org", first_name="Zéphyrine",
                           last_name="Quintaflor", phone="06 12 34 56 78")
    potholes = make_version(organisation, service, slug="nid-de-poule", title="Signaler un nid-de-poule")
    hedges = make_version(organisation, parks, slug="haie", title="Tailler une haie")
    today = timezone.localdate()

    def request(version, submitted, *, closed=None, district="", channel="web", deadline=None, **fields):
        fields.setdefault("citizen", citizen)
        item = make_request(
            version, district=district, channel=channel, deadline=deadline,
            address="12 rue des Lilas-Secrètes", data={"nom": "Quintaflor", "precisions": "Texte-très-confidentiel"},
            **fields,
        )
        ServiceRequest.objects.filter(pk=item.pk).update(
            submitted_at=submitted, closed_at=closed, status="acceptee" if closed else "recue")
        item.refresh_from_db()
        return item

    def rate(item, score):
        return Rating.objects.create(organisation=organisation, request=item, closed_at=item.closed_at, score=score,
                                     comment="Commentaire-confidentiel", author=item.citizen)

    r1 = request(potholes, at(datetime.date(2026, 3, 10)), closed=at(datetime.date(2026, 3, 14)), district="Centre")
    r2 = request(potholes, at(datetime.date(2026, 3, 20)), closed=at(datetime.date(2026, 3, 30)), district="Centre",
                 channel="phone", citizen=None, contact_name="Barnabé Sansonnet",
                 contact_email="barnabe.sansonnet@example.org", contact_phone="07 98 76 54 32")
    r3 = request(potholes, at(datetime.date(2026, 4, 5)), district="Les Vignes", deadline=datetime.date(2026, 4, 20))
    r4 = request(potholes, at(datetime.date(2026, 4, 7)), channel="counter", deadline=today + datetime.timedelta(days=3))
    r5 = request(hedges, at(datetime.date(2026, 4, 8)), closed=at(datetime.date(2026, 4, 10)), district="Centre")
    r6 = request(potholes, at(datetime.date(2026, 4, 9)), district="Centre")
    ServiceRequest.objects.filter(pk=r6.pk).update(withdrawn_at=at(datetime.date(2026, 4, 11)))
    make_request(potholes, citizen=citizen, state=ServiceRequest.State.DRAFT, district="Centre")
    r8 = request(potholes, at(datetime.date(2025, 6, 1)), district="Centre")  # before the period, still open
    r9 = request(potholes, timezone.now(), district="Centre")  # this month
    rate(r1, 4)
    rate(r2, 2)
    rate(r5, 5)
    ReopenRequest.objects.create(organisation=organisation, request=r2, closed_at=r2.closed_at,
                                 reason="Motif-confidentiel")
    # Montclair's request in the same period: never counted on Saint-Aubin.
    montclair_service = make_service(other_organisation, name="Voirie", slug="voirie")
    montclair = make_version(other_organisation, montclair_service, slug="nid-de-poule", title="Signaler un nid-de-poule")
    elsewhere = make_request(montclair, district="Centre")
    ServiceRequest.objects.filter(pk=elsewhere.pk).update(submitted_at=at(datetime.date(2026, 3, 12)))
    return {"requests": [r1, r2, r3, r4, r5, r6, r8, r9], "potholes": potholes, "hedges": hedges}


@pytest.fixture
def elected(organisation, service):
    return make_agent(organisation, email="elu@example.org", services=[service], role=Membership.Role.ELECTED)


def text(response):
    return html.unescape(response.content.decode())


def rows(board_rows):
    return {row["label"]: {k: v for k, v in row.items() if k not in ("key", "label")} for row in board_rows}


def test_the_org_admin_sees_every_figure_of_the_collectivite(data, admin_client_org):
    response = admin_client_org.get(URL, PERIOD)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.now == {"open": 4, "overdue": 1, "due_soon": 1, "received_this_month": 1}
    assert {k: v for k, v in board.totals.items() if k != "average_days"} == {
        "received": 6, "open": 2, "overdue": 1, "closed": 3, "withdrawn": 1}
    # 4, 10 and 2 days — less the hour the clocks went forward on 29 March 2026.
    assert board.totals["average_days"] == pytest.approx((4 + 10 - 1 / 24 + 2) / 3)
    assert [(row["month"], row["received"], row["closed"]) for row in board.months] == [
        (datetime.date(2026, 3, 1), 2, 2), (datetime.date(2026, 4, 1), 4, 1)]
    procedures = rows(board.procedures)
    assert procedures["Signaler un nid-de-poule"] == {
        "received": 5, "open": 2, "overdue": 1, "closed": 2, "average_days": pytest.approx(7 - 1 / 48), "ratings": 2,
        "rating": pytest.approx(3.0)}
    assert procedures["Tailler une haie"] == {
        "received": 1, "open": 0, "overdue": 0, "closed": 1, "average_days": pytest.approx(2.0), "ratings": 1,
        "rating": pytest.approx(5.0)}
    districts = rows(board.districts)
    assert {label: row["received"] for label, row in districts.items()} == {
        "Centre": 4, "Les Vignes": 1, "Non précisé": 1}
    assert board.districts[-1]["label"] == "Non précisé"  # districts not given come last
    assert districts["Centre"]["closed"] == 3 and districts["Les Vignes"]["overdue"] == 1
    assert board.satisfaction.count == 3 and board.satisfaction.average == pytest.approx(11 / 3)
    assert [count for _score, _label, count in board.satisfaction.distribution] == [0, 1, 0, 1, 1]
    assert {row["label"]: row["count"] for row in board.rating_services} == {"État civil": 2, "Espaces verts": 1}

    page = text(response)
    for caption in ("Demandes reçues par mois", "Demandes reçues sur la période, par démarche",
                    "Demandes reçues sur la période, par quartier ou commune", "Répartition des notes"):
        assert f"<caption>{caption}</caption>" in page
    assert '<th scope="row">mars 2026</th><td>2</td><td>2</td>' in page
    assert '<th scope="col">Délai moyen de traitement (jours)</th>' in page
    assert "<td>2,0</td>" in page and "<td>3,0</td>" in page  # French decimal comma
    assert "Toutes les demandes de la collectivité." in page


def test_channels_and_the_withdrawn_request(data, admin_client_org):
    board = admin_client_org.get(URL, PERIOD).context["board"]
    assert {row["label"]: row["received"] for row in board.channels} == {"En ligne": 4, "Téléphone": 1, "Accueil": 1}


def test_an_elected_member_sees_the_services_of_their_remit_only(data, organisation, elected, parks):
    client = client_for(organisation, elected)
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.totals["received"] == 5  # not the hedge of « Espaces verts »
    assert set(rows(board.procedures)) == {"Signaler un nid-de-poule"}
    assert board.satisfaction.count == 2
    page = text(response)
    assert "Les demandes du service de votre délégation : État civil." in page
    assert '<option value="%s">' % parks.pk not in page
    # Another service than those of the remit is refused, not shown.
    response = client.get(URL, {**PERIOD, "service": str(parks.pk)})
    assert response.status_code == 400 and response.context["board"] is None
    assert "Choisissez un des services de la liste." in text(response)


def test_the_admin_filters_by_service(data, admin_client_org, parks):
    board = admin_client_org.get(URL, {**PERIOD, "service": str(parks.pk)}).context["board"]
    assert board.service == parks
    assert board.totals["received"] == 1 and board.now["open"] == 0
    assert set(rows(board.procedures)) == {"Tailler une haie"}
    assert board.satisfaction.count == 1 and board.rating_services == []


def test_the_default_period_is_the_last_twelve_months(data, admin_client_org):
    response = admin_client_org.get(URL)
    assert response.status_code == 200
    board = response.context["board"]
    today = timezone.localdate()
    assert board.end == today and len(board.months) == 12 and board.start.day == 1
    assert board.months[-1]["month"] == today.replace(day=1)
    assert board.months[-1]["received"] >= 1  # r9, received now


@pytest.mark.parametrize("params, field, message", [
    ({"start": "2026-05-01", "end": "2026-04-01"}, "end", "La fin de la période doit suivre son début."),
    ({"start": "abc"}, "start", "Saisissez une date valide"),
    ({"end": "2026-13-45"}, "end", "Saisissez une date valide"),
    ({"start": "2015-01-01", "end": "2026-01-01"}, "start", "Choisissez une période de cinq ans au plus."),
    ({"service": "999999"}, "service", "Choisissez un des services de la liste."),
    ({"start": "0001-01-01", "end": "0001-06-30"}, "start", "Saisissez une date entre le 01/01/1900"),
    ({"start": "9999-01-01", "end": "9999-12-31"}, "end", "Saisissez une date entre le 01/01/1900"),
])
def test_bad_filters_are_explained(data, admin_client_org, params, field, message):
    response = admin_client_org.get(URL, params)
    assert response.status_code == 400
    assert response.context["board"] is None
    assert message in text(response)
    assert 'id="error-summary"' in text(response)
    assert response.context["form"].errors[field]


def test_no_personal_data_reaches_the_dashboard(data, organisation, admin_client_org, elected):
    for client in (admin_client_org, client_for(organisation, elected)):
        for params in (PERIOD, {}):
            page = text(client.get(URL, params))
            for secret in PERSONAL:
                assert secret not in page, secret
            for item in data["requests"]:
                assert item.tracking_code not in page
            assert not re.search(r"RQ-[0-9A-Z]{4}-[0-9A-Z]{4}", page)


def test_who_may_see_the_dashboards(data, organisation, other_organisation, service, citizen):
    plain = make_agent(organisation, email="agent.simple@example.org", services=[service])
    manager = make_agent(organisation, email="chef@example.org", services=[service], role=Membership.Role.MANAGER)
    for user in (plain, manager, citizen):
        assert client_for(organisation, user).get(URL).status_code == 403
    anonymous = client_for(organisation).get(URL)
    assert anonymous.status_code == 302 and "/agents/connexion/" in anonymous.url
    # Montclair's elected member and administrator are nobody on Saint-Aubin's host.
    montclair_service = make_service(other_organisation, name="Urbanisme", slug="urbanisme")
    for user in (
        make_agent(other_organisation, email="elu@montclair.example.org", services=[montclair_service],
                   role=Membership.Role.ELECTED),
        make_agent(other_organisation, email="admin@montclair.example.org", is_org_admin=True),
    ):
        assert client_for(organisation, user).get(URL).status_code == 302


def test_the_dashboard_is_read_only(data, admin_client_org):
    assert admin_client_org.post(URL, PERIOD).status_code == 405


def test_a_montclair_elected_member_sees_montclair_only(data, other_organisation):
    montclair_service = ServiceRequest.objects.filter(organisation=other_organisation).get().service
    elected = make_agent(other_organisation, email="elu@montclair.example.org", services=[montclair_service],
                         role=Membership.Role.ELECTED)
    board = client_for(other_organisation, elected).get(URL, PERIOD).context["board"]
    assert board.totals["received"] == 1 and board.satisfaction.count == 0


def test_the_links_show_to_those_who_may_see_the_dashboards(data, organisation, service, elected, admin_client_org):
    plain = make_agent(organisation, email="agent.simple@example.org", services=[service])
    for client, shown in ((admin_client_org, True), (client_for(organisation, elected), True),
                          (client_for(organisation, plain), False)):
        home = text(client.get(reverse("agents:home")))
        assert (f'<a href="{URL}">Tableaux de bord</a>' in home) is shown
        assert ("Tableaux de bord des demandes (volumes, retards, quartiers, satisfaction)" in home) is shown


def test_the_number_of_queries_does_not_depend_on_the_requests(data, organisation, admin_client_org, service):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_org.get(URL, PERIOD).status_code == 200
        return len(queries)

    before = count()
    more = make_version(organisation, service, slug="encombrants", title="Enlèvement d'encombrants")
    for index in range(30):
        item = make_request(more, district=f"Quartier {index % 7}", channel=["web", "email", "postal"][index % 3])
        ServiceRequest.objects.filter(pk=item.pk).update(
            submitted_at=at(datetime.date(2026, 3 + index % 2, 1 + index)) if index < 28 else at(datetime.date(2026, 4, 2)),
            closed_at=at(datetime.date(2026, 4, 29)) if index % 2 else None,
        )
        if index % 2:
            Rating.objects.create(organisation=organisation, request=item, closed_at=at(datetime.date(2026, 4, 29)),
                                  score=1 + index % 5)
    after = count()
    assert after == before, (before, after)
    assert before <= 20


def test_the_dashboard_speaks_english(data, admin_client_org):
    admin_client_org.post("/i18n/setlang/", {"language": "en", "next": URL})
    page = text(admin_client_org.get(URL, PERIOD))
    assert "<h1>Requests dashboard</h1>" in page
    assert "<caption>Requests received by month</caption>" in page
    assert "Average processing time (days)" in page and "Distribution of ratings" in page


def test_the_figures_are_kept_a_few_minutes(data, organisation, admin_client_org, elected, settings):
    settings.GUICHET_DASHBOARD_CACHE_SECONDS = 300
    first = admin_client_org.get(URL, PERIOD)
    assert "(mis à jour toutes les 5 minutes)" in text(first)
    with CaptureQueriesContext(connection) as queries:
        again = admin_client_org.get(URL, PERIOD)
    assert not any("service_requests_servicerequest" in query["sql"] for query in queries.captured_queries)
    assert again.context["board"].totals == first.context["board"].totals
    # Another remit, another service or period: other figures.
    assert client_for(organisation, elected).get(URL, PERIOD).context["board"].totals["received"] == 5
    assert admin_client_org.get(URL, {**PERIOD, "end": "2026-03-31"}).context["board"].totals["received"] == 2
