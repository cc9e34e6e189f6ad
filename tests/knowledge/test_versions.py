"""Every save of a sheet's content adds a numbered version (author, date, question, answer); versions are never
changed, can be read, compared and restored; the review date flags sheets « À relire »."""

import datetime

import pytest
from django.utils import timezone

from guichet.knowledge import services
from guichet.knowledge.models import SheetVersion

from .conftest import make_sheet, verified


def edit(sheet, user, **changes):
    sheet.refresh_from_db()
    fields = {"question": sheet.question, "answer": sheet.answer, "theme": sheet.theme, "service": sheet.service,
              "is_public": sheet.is_public, "review_on": sheet.review_on, "procedures": sheet.procedures.all()}
    fields.update(changes)
    return services.save_sheet(sheet.organisation, verified(user), sheet=sheet, **fields)


def test_creating_a_sheet_writes_version_1(sheet, agent):
    version = sheet.versions.get()
    assert (version.number, version.author, version.question) == (1, agent, sheet.question)
    assert version.answer == sheet.answer == "<p>Demandez-le à la mairie du lieu de naissance.</p>"
    assert sheet.version_number == 1 and sheet.created_by == agent


def test_changing_the_content_adds_a_version_and_keeps_the_old_one(sheet, agent, org_admin):
    edit(sheet, org_admin, answer="<p>Demandez-le en ligne.</p>")
    edit(sheet, agent, question="Où demander un acte de naissance ?")
    sheet.refresh_from_db()
    assert sheet.version_number == 3 and sheet.updated_by == agent
    versions = list(sheet.versions.order_by("number"))
    assert [(v.number, v.author) for v in versions] == [(1, agent), (2, org_admin), (3, agent)]
    assert versions[0].answer == "<p>Demandez-le à la mairie du lieu de naissance.</p>"
    assert versions[1].answer == versions[2].answer == "<p>Demandez-le en ligne.</p>"
    assert versions[2].question == "Où demander un acte de naissance ?"


def test_changing_only_the_settings_adds_no_version(sheet, agent):
    edit(sheet, agent, is_public=True, review_on=datetime.date(2030, 1, 1))
    sheet.refresh_from_db()
    assert sheet.version_number == 1 and sheet.versions.count() == 1 and sheet.is_public


def test_a_version_is_never_changed(sheet):
    version = sheet.versions.get()
    version.answer = "<p>réécrit</p>"
    with pytest.raises(ValueError):
        version.save()
    assert SheetVersion.objects.get(pk=version.pk).answer != "<p>réécrit</p>"


def test_restoring_an_old_version_makes_a_new_one(sheet, agent):
    edit(sheet, agent, answer="<p>Version deux.</p>")
    sheet.refresh_from_db()
    sheet = services.restore_version(sheet.organisation, verified(agent), sheet, sheet.versions.get(number=1))
    assert sheet.version_number == 3
    assert sheet.answer == "<p>Demandez-le à la mairie du lieu de naissance.</p>"
    assert sheet.versions.get(number=3).note == "Reprise de la version 1"
    with pytest.raises(services.KnowledgeRefused):
        services.restore_version(sheet.organisation, agent, sheet, sheet.versions.get(number=3))


def test_compare_shows_removed_and_added_lines(sheet, agent):
    edit(sheet, agent, answer="<p>Demandez-le à la mairie du lieu de naissance.</p><ul><li>En ligne</li></ul>")
    sheet.refresh_from_db()
    rows = services.compare(sheet.versions.get(number=1), sheet.versions.get(number=2))
    assert ("added", "En ligne") in rows
    assert ("same", "Demandez-le à la mairie du lieu de naissance.") in rows
    rows = services.compare(sheet.versions.get(number=2), sheet.versions.get(number=1))
    assert ("removed", "En ligne") in rows


def test_version_pages(sheet, agent, client_for_agent):
    edit(sheet, agent, answer="<p>Demandez-le en ligne.</p>")
    page = client_for_agent.get(f"/agents/connaissances/{sheet.pk}/")
    assert "Version 2" in page.content.decode() and "Version 1" in page.content.decode()
    old = client_for_agent.get(f"/agents/connaissances/{sheet.pk}/versions/1/")
    assert "mairie du lieu de naissance" in old.content.decode()
    assert "Reprendre la version 1" in old.content.decode()
    compare = client_for_agent.get(f"/agents/connaissances/{sheet.pk}/versions/comparer/?de=1&a=2")
    body = compare.content.decode()
    assert compare.status_code == 200 and "<del>" in body and "<ins>" in body
    bad = client_for_agent.get(f"/agents/connaissances/{sheet.pk}/versions/comparer/?de=7&a=abc")
    assert bad.status_code == 400 and "Choisissez deux versions de la liste." in bad.content.decode()
    assert client_for_agent.get(f"/agents/connaissances/{sheet.pk}/versions/9/").status_code == 404
    restored = client_for_agent.post(f"/agents/connaissances/{sheet.pk}/versions/1/reprendre/")
    assert restored.status_code == 302
    sheet.refresh_from_db()
    assert sheet.version_number == 3 and "mairie du lieu de naissance" in sheet.answer


def test_restoring_needs_the_right_to_write(sheet, agent, roads_agent):
    from tests.conftest import client_for

    edit(sheet, agent, answer="<p>Demandez-le en ligne.</p>")
    client = client_for(sheet.organisation, roads_agent)
    response = client.post(f"/agents/connaissances/{sheet.pk}/versions/1/reprendre/")
    assert response.status_code == 403
    sheet.refresh_from_db()
    assert sheet.version_number == 2


def test_review_flag(organisation, theme, service):
    today = timezone.localdate()
    past = make_sheet(organisation, theme, service, question="Passée", review_on=today - datetime.timedelta(days=1))
    due = make_sheet(organisation, theme, service, question="Aujourd'hui", review_on=today)
    later = make_sheet(organisation, theme, service, question="Plus tard", review_on=today + datetime.timedelta(days=1))
    never = make_sheet(organisation, theme, service, question="Sans date")
    assert past.needs_review and due.needs_review
    assert not later.needs_review and not never.needs_review
    assert set(services.to_review(services.sheets_of(organisation))) == {past, due}


def test_a_collectivite_is_deleted_with_its_knowledge_base(organisation, sheet, graffiti, other_sheet):
    from guichet.knowledge.models import Sheet, Theme

    pk = organisation.pk
    organisation.delete()
    assert list(Sheet.objects.all()) == [other_sheet]
    assert not Theme.objects.filter(organisation_id=pk).exists()
    assert SheetVersion.objects.filter(sheet=other_sheet).count() == 1
