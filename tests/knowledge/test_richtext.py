"""The answer's rich text keeps only harmless tags, on save and when rendering: XSS attempts never reach a page."""

import pytest
from django.template import Context, Template

from guichet.knowledge import richtext
from guichet.knowledge.models import Sheet

from .conftest import make_sheet

ATTACKS = [
    '<script>alert("x")</script><p>Texte</p>',
    '<p onclick="alert(1)">Texte</p>',
    '<img src=x onerror="alert(1)"><p>Texte</p>',
    '<a href="javascript:alert(1)">lien</a><p>Texte</p>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">lien</a><p>Texte</p>',
    '<p style="background:url(javascript:alert(1))">Texte</p>',
    '<iframe src="https://evil.example"></iframe><p>Texte</p>',
    '<svg><script>alert(1)</script></svg><p>Texte</p>',
    '<p>Texte</p><style>body{display:none}</style>',
    '<a href="  JaVaScRiPt:alert(1)">lien</a><p>Texte</p>',
    '<form action="https://evil.example"><input name="x"></form><p>Texte</p>',
    '<p>Texte<!-- <script>alert(1)</script> --></p>',
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_sanitise_removes_every_script_vector(attack):
    cleaned = richtext.sanitise(attack).lower()
    for needle in ("<script", "onerror", "onclick", "javascript:", "data:", "<iframe", "<style", "style=", "<img",
                   "<svg", "<form", "<input", "alert(1)<", "<!--"):
        assert needle not in cleaned
    assert "texte" in cleaned


def test_allowed_tags_and_safe_links_are_kept():
    html = ('<h3>Pièces</h3><h4>Détail</h4><p>Un <strong>acte</strong> <em>gratuit</em><br>vite</p><ul><li>un</li>'
            '</ul><ol><li>deux</li></ol><blockquote>cité</blockquote><a href="https://www.service-public.fr">SP</a>'
            '<a href="mailto:etat-civil@example.org">courriel</a><a href="tel:+33383000000">appeler</a>')
    cleaned = richtext.sanitise(html)
    for tag in ("<h3>", "<h4>", "<strong>", "<em>", "<br>", "<ul>", "<ol>", "<li>", "<blockquote>"):
        assert tag in cleaned
    assert 'href="https://www.service-public.fr"' in cleaned
    assert 'href="mailto:etat-civil@example.org"' in cleaned
    assert 'href="tel:+33383000000"' in cleaned
    assert 'rel="noopener noreferrer"' in cleaned


def test_other_tags_are_stripped_but_their_text_kept():
    cleaned = richtext.sanitise('<div class="x"><h1>Titre</h1><span style="color:red">rouge</span><table><tr><td>'
                                'cellule</td></tr></table></div>')
    assert "<div" not in cleaned and "<h1" not in cleaned and "<span" not in cleaned and "<table" not in cleaned
    assert "Titre" in cleaned and "rouge" in cleaned and "cellule" in cleaned


def test_plain_text_answer_becomes_paragraphs_and_lists():
    html = richtext.clean_answer("Première ligne\nsuite <pas une balise\n\n- un\n- deux\n\nFin & merci")
    assert html == ("<p>Première ligne<br>suite &lt;pas une balise</p><ul><li>un</li><li>deux</li></ul>"
                    "<p>Fin &amp; merci</p>")


def test_text_with_inline_tags_keeps_its_paragraphs():
    html = richtext.clean_answer("Un <strong>acte</strong>\ngratuit\n\n- <em>vite</em>\n- bien<script>x()</script>")
    assert html == "<p>Un <strong>acte</strong><br>gratuit</p><ul><li><em>vite</em></li><li>bien</li></ul>"
    assert richtext.clean_answer("<p>Déjà\n\nen HTML</p>") == "<p>Déjà\n\nen HTML</p>"


def test_plain_text_of_an_answer_has_words_not_tags():
    assert richtext.plain_text("<p>Un&nbsp;acte</p><ul><li>gratuit</li></ul><script>x()</script>") == "Un acte gratuit"


def test_a_sheet_is_stored_sanitised(organisation, theme, service):
    sheet = make_sheet(organisation, theme, service, answer='<p onmouseover="x()">Bonjour</p><script>x()</script>')
    sheet.refresh_from_db()
    assert sheet.answer == "<p>Bonjour</p>"
    assert sheet.versions.get().answer == "<p>Bonjour</p>"


def test_rendering_sanitises_again_a_row_written_by_other_means(organisation, theme, service):
    sheet = make_sheet(organisation, theme, service)
    Sheet.objects.filter(pk=sheet.pk).update(
        answer='<p>Bonjour</p><script>alert(1)</script><a href="javascript:x">l</a>')
    sheet.refresh_from_db()
    rendered = Template("{% load knowledge_tags %}{{ sheet.answer|rich }}").render(Context({"sheet": sheet}))
    assert "<script" not in rendered and "javascript:" not in rendered
    assert "<p>Bonjour</p>" in rendered


def test_xss_in_the_question_is_escaped_on_every_page(organisation, theme, service, agent, client_for_agent):
    sheet = make_sheet(organisation, theme, service, question='<script>alert("q")</script> ?', is_public=True,
                       answer="<p>Réponse</p>")
    for url in (f"/agents/connaissances/{sheet.pk}/", "/agents/connaissances/",
                "/agents/connaissances/recherche/?q=script"):
        body = client_for_agent.get(url).content.decode()
        assert '<script>alert("q")</script>' not in body
        assert "&lt;script&gt;" in body
