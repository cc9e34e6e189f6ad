"""Entries of the knowledge base for `tests/test_tenant_isolation.py` GUESSES (every URL taking an identifier,
called on Saint-Aubin's host with Montclair's objects): `GUESSES.update(knowledge_guesses())`."""

from .conftest import make_sheet, make_theme


def montclair_sheet(o):
    """A public sheet of Montclair (so that only the collectivité, not the public flag, keeps it out)."""
    from tests.conftest import make_service

    theme = make_theme(o, name="Propreté")
    service = make_service(o, name="Propreté", slug="proprete")
    return make_sheet(o, theme, service, question="Graffitis à Montclair", is_public=True)


def knowledge_guesses():
    def sheet(o):
        return {"pk": montclair_sheet(o).pk}

    def version(o):
        return {"pk": montclair_sheet(o).pk, "number": 1}

    def public_sheet(o):
        found = montclair_sheet(o)
        return {"pk": found.pk, "slug": found.slug}

    def theme(o):
        return {"pk": make_theme(o, name="Vide").pk}

    return {
        "knowledge:detail": ("admin", sheet),
        "knowledge:edit": ("admin", sheet),
        "knowledge:compare": ("admin", sheet),
        "knowledge:version": ("admin", version),
        "knowledge:restore": ("admin", version),
        "knowledge:theme_edit": ("admin", theme),
        "knowledge:theme_delete": ("admin", theme),
        "knowledge_public:sheet_short": ("anonymous", sheet),
        "knowledge_public:sheet": ("anonymous", public_sheet),
    }
