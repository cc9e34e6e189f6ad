"""Creation, authentication (bearer and Open311 api_key), renewal, revocation, rate limits and their clean-up."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from guichet.api_clients import services, tasks
from guichet.api_clients.models import ApiClient, RateWindow, Scope
from guichet.organisations.secrets import hash_secret

pytestmark = pytest.mark.django_db


def test_a_client_keeps_only_the_hash_and_the_hint_of_its_secret(organisation, make_client):
    client, clear = make_client(organisation, scopes=[Scope.REQUESTS_WRITE, Scope.REQUESTS_READ])
    assert clear.startswith("gapi_") and len(clear) > 40
    client.refresh_from_db()
    assert client.secret_hash == hash_secret(clear) and client.hint == clear[:9]
    assert client.scopes == ["requests:read", "requests:write"]
    stored = [str(value) for value in ApiClient.objects.filter(pk=client.pk).values_list().get()]
    assert not any(clear in value for value in stored)


def test_creation_refuses_unknown_scopes_other_services_and_absurd_rate_limits(organisation, make_client,
                                                                               other_service):
    with pytest.raises(ValueError):
        make_client(organisation, scopes=["admin:all"])
    with pytest.raises(ValueError):
        make_client(organisation, services=[other_service])
    for limit in (0, 10_001):
        with pytest.raises(ValueError):
            make_client(organisation, rate_limit=limit)
    assert not ApiClient.objects.exists()


def test_bearer_authentication(organisation, other_organisation, make_client):
    client, clear = make_client(organisation)
    assert services.authenticate_bearer(organisation, f"Bearer {clear}") == client
    assert services.authenticate_bearer(organisation, f"bearer   {clear}  ") == client
    client.refresh_from_db()
    assert client.last_used_at is not None
    other, other_clear = make_client(other_organisation)
    for header in (None, "", "Bearer", "Bearer ", f"Basic {clear}", clear, f"Bearer {clear}x", f"Bearer {clear[:-1]}",
                   f"Bearer {other_clear}", "Bearer " + "a" * 5000, f"Bearer {clear}\x00", "Bearer gapi_é",
                   "Bearer \udc80", b"Bearer x", 42):
        assert services.authenticate_bearer(organisation, header) is None, header
    assert services.authenticate_bearer(None, f"Bearer {clear}") is None
    assert services.authenticate_bearer(other_organisation, f"Bearer {other_clear}") == other


def test_api_key_authentication(organisation, other_organisation, make_client):
    client, clear = make_client(organisation, scopes=[Scope.OPEN311])
    assert services.authenticate_key(organisation, clear) == client
    assert services.authenticate_key(organisation, f" {clear} ") == client
    _other, other_clear = make_client(other_organisation, scopes=[Scope.OPEN311])
    for key in (None, "", "   ", other_clear, clear.upper(), "x" * 201, clear + "x" * 200, "\udc80", ["a"],
                f"{clear}\n{clear}"):
        assert services.authenticate_key(organisation, key) is None, key


def test_a_revoked_client_is_refused_at_once(organisation, make_client, org_admin):
    client, clear = make_client(organisation)
    services.revoke_client(client, by=org_admin)
    assert services.authenticate_bearer(organisation, f"Bearer {clear}") is None
    assert services.authenticate_key(organisation, clear) is None
    revoked_at = ApiClient.objects.get().revoked_at
    services.revoke_client(client)
    assert ApiClient.objects.get().revoked_at == revoked_at and client.revoked_by == org_admin
    assert not client.has_scope(Scope.REQUESTS_READ)


def test_renewing_the_secret_refuses_the_former_one(organisation, make_client):
    client, clear = make_client(organisation)
    renewed = services.renew_secret(client)
    assert renewed != clear and client.hint == renewed[:9]
    assert services.authenticate_bearer(organisation, f"Bearer {clear}") is None
    assert services.authenticate_bearer(organisation, f"Bearer {renewed}") == client
    services.revoke_client(client)
    with pytest.raises(Exception):
        services.renew_secret(client)


def test_update_client_changes_everything_but_the_secret(organisation, make_client, service, other_service):
    client, clear = make_client(organisation)
    services.update_client(client, name="Appli", scopes=["open311"], services=[service], rate_limit=5)
    client.refresh_from_db()
    assert (client.name, client.scopes, client.rate_limit) == ("Appli", ["open311"], 5)
    assert list(client.services.all()) == [service]
    assert services.authenticate_key(organisation, clear) == client
    with pytest.raises(ValueError):
        services.update_client(client, name="Appli", scopes=["open311"], services=[other_service])


def test_the_rate_limit_gives_the_seconds_to_wait(organisation, make_client):
    client, _clear = make_client(organisation, rate_limit=3)
    now = timezone.now().replace(second=15, microsecond=0)
    assert [services.check_rate(client, now) for _ in range(3)] == [None, None, None]
    assert services.check_rate(client, now) == 45
    assert services.check_rate(client, now + datetime.timedelta(seconds=44)) == 1
    assert services.check_rate(client, now + datetime.timedelta(seconds=45)) is None  # the next minute
    assert RateWindow.objects.get(start=now.replace(second=0)).count == 5


def test_counting_a_call_is_one_query(organisation, make_client, django_assert_num_queries):
    client, _clear = make_client(organisation)
    services.check_rate(client)
    with django_assert_num_queries(1):
        assert services.check_rate(client) is None
    with django_assert_num_queries(1):
        services.check_rate(client, timezone.now() + datetime.timedelta(minutes=2))  # a new window


def test_a_rate_limited_client_is_flagged_with_its_calls_of_the_minute(organisation, make_client):
    client, _clear = make_client(organisation, rate_limit=1)
    services.check_rate(client)
    services.check_rate(client)
    annotated = services.with_current_calls(ApiClient.objects.all()).get()
    assert annotated.calls_this_minute == 2 and services.is_rate_limited(annotated)


def test_old_rate_windows_are_cleaned_up(organisation, make_client):
    client, _clear = make_client(organisation)
    now = timezone.now()
    services.check_rate(client, now - datetime.timedelta(hours=2))
    services.check_rate(client, now - datetime.timedelta(minutes=59))
    services.check_rate(client, now)
    assert tasks.clean_up_rate_windows.call() == 1
    assert RateWindow.objects.count() == 2


def test_the_clean_up_is_a_periodic_job():
    from guichet.background.scheduler import registry

    job = registry.jobs[tasks.clean_up_rate_windows.module_path]
    assert job.every == datetime.timedelta(hours=1)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_calls_lose_no_count(organisation, make_client):
    import threading

    client, _clear = make_client(organisation, rate_limit=10_000)
    threads_count, calls_each = 8, 25
    barrier = threading.Barrier(threads_count)
    now = timezone.now()
    refused = []

    def call():
        try:
            barrier.wait(timeout=10)
            for _ in range(calls_each):
                if services.check_rate(client, now) is not None:
                    refused.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not refused
    assert RateWindow.objects.get(client=client).count == threads_count * calls_each


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_calls_at_the_limit_let_exactly_the_limit_through(organisation, make_client):
    import threading

    client, _clear = make_client(organisation, rate_limit=30)
    barrier = threading.Barrier(6)
    now = timezone.now()
    allowed = []

    def call():
        try:
            barrier.wait(timeout=10)
            for _ in range(10):
                if services.check_rate(client, now) is None:
                    allowed.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(allowed) == 30
