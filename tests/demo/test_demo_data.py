"""The demo installation: an intercommunal body with three member communes, loaded idempotently."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts.models import User
from guichet.agents.models import Membership, Service
from guichet.demo.data import DEMO_PASSWORD, current_code
from guichet.households.models import HouseholdMember
from guichet.organisations.models import Organisation


def counts():
    return [model.objects.count() for model in (Organisation, Service, User, Membership, HouseholdMember, TOTPDevice)]


@pytest.mark.django_db
def test_demo_is_idempotent_and_complete():
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first

    epci = Organisation.objects.get(slug="val-fleuri")
    assert epci.kind == Organisation.Kind.INTERCOMMUNAL
    members = list(epci.member_communes.order_by("slug").values_list("slug", flat=True))
    assert members == ["bourg-la-riviere", "montclair", "saint-aubin"]
    for organisation in Organisation.objects.all():
        organisation.full_clean()  # colours contrast, INSEE codes
        assert Service.objects.of(organisation).count() >= 4
        agents = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT)
        roles = set(Membership.objects.of(organisation).values_list("role", flat=True))
        assert roles == {"agent", "manager", "elected"}
        assert agents.filter(is_org_admin=True).exists()
        citizens = User.objects.filter(organisation=organisation, kind=User.Kind.CITIZEN)
        # The three demo citizens; each commune also has one recorded at the counter without e-mail.
        expected = 3 if organisation.kind == Organisation.Kind.INTERCOMMUNAL else 4
        assert citizens.count() == expected
        assert HouseholdMember.objects.of(organisation).filter(relationship="child").count() == 2


@pytest.mark.django_db
def test_demo_agent_signs_in_with_password_and_current_totp_code():
    call_command("load_demo")
    organisation = Organisation.objects.get(slug="montclair")
    request = RequestFactory().post("/agents/connexion/")
    request.organisation = organisation
    agent = authenticate(request, email="admin@montclair.localhost", password=DEMO_PASSWORD, kind="agent")
    assert agent is not None and agent.is_org_admin
    device = agent.totpdevice_set.get()
    assert device.verify_token(current_code(device.key))


@pytest.mark.django_db
def test_demo_logins_are_printed(capsys):
    call_command("load_demo")
    call_command("demo_logins", port="8000")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    assert "http://saint-aubin.localhost:8000/" in out
    assert "admin@saint-aubin.localhost" in out and "TOTP" in out


@pytest.mark.django_db
def test_demo_requests_fill_the_queues_once():
    from guichet.service_requests.models import RequestEvent, ServiceRequest

    call_command("load_demo")
    saint_aubin = Organisation.objects.get(slug="saint-aubin")
    # The 8 street reports of demo/requests.py (not those an agent entered for a citizen: citizen_records.demo).
    requests = ServiceRequest.objects.of(saint_aubin).filter(state="submitted").exclude(
        citizen__isnull=False, entered_by__isnull=False)
    assert requests.count() == 8
    assert requests.filter(closed_at__isnull=False, answered_at__isnull=False).count() == 2
    assert requests.filter(waiting_for_citizen=True).count() == 1
    assert requests.filter(closed_at__isnull=True, deadline__lt=requests.first().submitted_at.date()).exists()
    assert RequestEvent.objects.of(saint_aubin).filter(kind="answer").count() == 2
    assert requests.exclude(district="").count() == 8
    # Each moved deadline is told in the request's timeline, so that page and history agree.
    for item in requests.exclude(deadline=None):
        assert item.events.filter(kind="deadline_set", text__contains=item.deadline.strftime("%d/%m/%Y")).exists()
    total = ServiceRequest.objects.of(saint_aubin).count()
    call_command("load_demo")
    assert ServiceRequest.objects.of(saint_aubin).count() == total  # drafts included: nothing doubled


@pytest.mark.django_db
def test_demo_has_every_channel_once():
    """Issue 6's demo data: counter and phone requests, a directory, a knowledge base, the contact centre's
    extensions and past calls, e-mails and a scanned letter waiting to be qualified — not doubled on reload."""
    from guichet.contact_centre.models import Contact, TelephonySecret
    from guichet.directory.models import DirectoryEntry
    from guichet.knowledge.models import Sheet
    from guichet.mailroom.models import IncomingMail
    from guichet.service_requests.models import ServiceRequest

    call_command("load_demo")
    call_command("load_demo")
    saint_aubin = Organisation.objects.get(slug="saint-aubin")
    channels = set(ServiceRequest.objects.of(saint_aubin).values_list("channel", flat=True))
    assert {"web", "counter", "phone"} <= channels
    assert DirectoryEntry.objects.of(saint_aubin).filter(missions__icontains="graffiti").exists()
    assert Sheet.objects.of(saint_aubin).filter(is_public=True).exists()
    assert TelephonySecret.objects.of(saint_aubin).count() == 1 and Contact.objects.of(saint_aubin).exists()
    assert User.objects.get(organisation=saint_aubin, email="agent@saint-aubin.localhost").phone_extension == "204"
    mail = IncomingMail.objects.of(saint_aubin)
    assert mail.filter(channel="email").count() == 2 and mail.filter(channel="postal").count() == 1


@pytest.mark.django_db
def test_demo_api_client_and_open311_work_once():
    """Issue 7's demo data: the commune's API client answers with its known secret (printed by demo_logins), and the
    street reports are exposed in Open311 — not doubled on reload."""
    from django.test import Client

    from guichet.api_clients.models import ApiClient

    call_command("load_demo")
    call_command("load_demo")
    saint_aubin = Organisation.objects.get(slug="saint-aubin")
    assert ApiClient.objects.of(saint_aubin).count() == 1
    client = Client(HTTP_HOST="saint-aubin.localhost")
    listed = client.get("/api/v1/requests", HTTP_AUTHORIZATION="Bearer gapi_demo-saint-aubin")
    assert listed.status_code == 200 and listed.json()["items"]
    services = client.get("/open311/v2/services.json").json()
    assert {service["service_code"] for service in services} >= {"signalement-voirie", "enlevement-graffitis"}
    assert client.get("/open311/v2/requests.json").json()
    # Another commune's demo secret is worth nothing here.
    assert client.get("/api/v1/requests", HTTP_AUTHORIZATION="Bearer gapi_demo-montclair").status_code == 401
