"""The demo sheets: 3 themes, 8 sheets (some public, one past its review date, one about graffiti that the
search finds while typing), related to the collectivité's catalogue procedures; loading twice adds nothing."""

from guichet.knowledge.demo import load_demo
from guichet.knowledge.models import Sheet, Theme
from guichet.knowledge.search import search_sheets
from guichet.procedures.exchange import import_catalogue_procedure


def test_load_demo(organisation, org_admin):
    import_catalogue_procedure(organisation, "enlevement-graffitis", user=org_admin)
    created = load_demo(organisation)
    assert len(created) == 8
    assert list(Theme.objects.of(organisation).values_list("name", flat=True)) == [
        "État civil", "Voirie et propreté", "Scolaire et périscolaire"]
    sheets = list(Sheet.objects.of(organisation))
    assert 0 < sum(sheet.is_public for sheet in sheets) < 8
    to_review = [sheet.question for sheet in sheets if sheet.needs_review]
    assert to_review == ["Comment prendre rendez-vous pour un mariage ?"]
    graffiti = search_sheets(organisation, "graff")[0]
    assert graffiti.question == "Comment faire enlever un graffiti ?"
    assert list(graffiti.procedures.values_list("slug", flat=True)) == ["enlevement-graffitis"]
    assert graffiti.created_by == org_admin and graffiti.versions.count() == 1
    assert load_demo(organisation) == [] and Sheet.objects.of(organisation).count() == 8
