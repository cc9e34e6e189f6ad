"""The managers' daily digest of overdue requests: a periodic durable job, once a day per service."""

import datetime

from django.utils import timezone

from guichet.agents.models import Membership
from guichet.background.testing import run_ready_jobs
from guichet.notifications.models import Notification
from guichet.queues.models import OverdueDigest
from guichet.queues.services import send_overdue_digests
from guichet.queues.tasks import send_overdue_digests as digest_job
from guichet.service_requests.models import ServiceRequest
from tests.conftest import make_agent, make_citizen

from .conftest import days, new_request


def test_the_digest_is_a_daily_job_at_seven():
    from guichet.background.scheduler import discover, registry

    discover()
    job = {job.name: job for job in registry.jobs.values()}["guichet.queues.tasks.send_overdue_digests"]
    assert job.daily_at == datetime.time(7, 0)


def test_each_manager_is_told_of_their_services_overdue_requests(
        organisation, other_organisation, service, voirie, agent, manager, version, voirie_version, other_version,
        citizen):
    late = [new_request(version, citizen, deadline=days(-n)) for n in (1, 4)]
    new_request(version, citizen, deadline=days(0))  # due today: not overdue
    closed = new_request(version, citizen, deadline=days(-9))
    ServiceRequest.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    withdrawn = new_request(version, citizen, deadline=days(-9))
    ServiceRequest.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    new_request(voirie_version, citizen, deadline=days(5))  # Voirie has nothing overdue
    voirie_manager = make_agent(organisation, email="chef.voirie@example.org", services=[voirie],
                                role=Membership.Role.MANAGER)
    second_manager = make_agent(organisation, email="chef2@example.org", services=[service],
                                role=Membership.Role.MANAGER, is_active=False)
    montclair_service = other_version.service
    montclair_manager = make_agent(other_organisation, email="chef@montclair.example.org",
                                   services=[montclair_service], role=Membership.Role.MANAGER)
    new_request(other_version, make_citizen(other_organisation, email="m@example.org"), deadline=days(-2))

    digest_job.enqueue()
    assert run_ready_jobs() >= 1
    mine = Notification.objects.get(recipient=manager, key="requests.overdue_digest")
    assert mine.subject == "État civil : 2 demande(s) en retard"
    assert f"{late[1].tracking_code} — Acte de naissance — date limite" in mine.body
    assert mine.body.index(late[1].tracking_code) < mine.body.index(late[0].tracking_code)
    assert closed.tracking_code not in mine.body and withdrawn.tracking_code not in mine.body
    assert mine.link == f"/agents/demandes/?service={service.pk}&deadline_state=overdue"
    assert not Notification.objects.filter(recipient__in=[agent, voirie_manager, second_manager]).exists()
    other = Notification.objects.get(recipient=montclair_manager, key="requests.overdue_digest")
    assert other.organisation == other_organisation and "1 demande(s)" in other.subject
    assert OverdueDigest.objects.of(organisation).get().count == 2

    # A job run again the same day (a worker died) sends nothing twice; the next day it does.
    assert send_overdue_digests() == 0
    assert Notification.objects.filter(key="requests.overdue_digest").count() == 2
    assert send_overdue_digests(timezone.localdate() + datetime.timedelta(days=1)) == 2


def test_the_link_of_the_digest_opens_the_overdue_queue_of_the_service(organisation, service, manager, version,
                                                                       citizen):
    from tests.conftest import client_for

    late = new_request(version, citizen, deadline=days(-1))
    new_request(version, citizen, deadline=days(3))
    send_overdue_digests()
    link = Notification.objects.get(recipient=manager).link
    response = client_for(organisation, manager).get(link)
    assert [item.tracking_code for item in response.context["page"].object_list] == [late.tracking_code]


def test_long_lists_are_cut(organisation, manager, version, citizen):
    for n in range(23):
        new_request(version, citizen, deadline=days(-1 - n))
    send_overdue_digests()
    body = Notification.objects.get(recipient=manager).body
    assert "… et 3 autre(s)" in body and body.count(" — date limite ") == 20
