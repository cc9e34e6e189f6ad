"""The sandboxed message templates: what they may contain, and what is refused with a clear message."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from guichet.notifications.catalogue import KINDS, sample_context
from guichet.notifications.rendering import (
    MAX_TEMPLATE_LENGTH,
    TemplateProblem,
    check_texts,
    render_texts,
)

GOOD = {
    "subject": "Bienvenue {{ destinataire.prenom }}",
    "body": "{% if destinataire.civilite %}{{ destinataire.civilite }} {{ destinataire.nom|upper }}"
    "{% else %}Bonjour{% endif %},\n\n{{ message|default('rien') }}\n{# note interne #}",
    "sms_text": "{{ collectivite.nom }} : {{ message|truncate(20) }}",
    "letter_text": "{{ destinataire['nom'] ~ ' / ' ~ collectivite.nom }}",
}


def problems_for(text, field="body"):
    return check_texts("message.free", {**GOOD, field: text})


def test_a_correct_template_has_no_problem_and_renders():
    assert check_texts("message.free", GOOD) == {}
    kind = KINDS["message.free"]
    rendered = render_texts(GOOD, sample_context(kind))
    assert rendered.subject == "Bienvenue Camille"
    assert rendered.body == "Madame MARTIN,\n\nVotre dossier est complet."
    assert rendered.sms_text == "Saint-Aubin : Votre dossier..."
    assert rendered.letter_text == "Martin / Saint-Aubin"


@pytest.mark.parametrize("key", sorted(KINDS))
def test_every_default_wording_renders_with_its_sample_values(key):
    kind = KINDS[key]
    texts = {name: getattr(kind, name) for name in ("subject", "body", "sms_text", "letter_text")}
    assert check_texts(key, texts) == {}
    rendered = render_texts(texts, sample_context(kind))
    assert rendered.subject and rendered.body and rendered.sms_text and rendered.letter_text
    assert "{{" not in rendered.body and "{%" not in rendered.body


def test_unknown_variable_is_refused_with_its_name():
    assert problems_for("Bonjour {{ destinataire.age }}") == {
        "body": "Variable inconnue ligne 1 : « destinataire.age ». Utilisez une des variables de la liste."
    }
    assert "« prenom »" in problems_for("{{ prenom }}", "subject")["subject"]


def test_unknown_variable_in_a_branch_not_taken_with_the_samples_is_refused_too():
    # The sample civility is « Madame »: the else branch is never rendered, but it is checked.
    problem = problems_for("{% if destinataire.civilite %}Bonjour{% else %}{{ destinataire.titre }}{% endif %}")
    assert "« destinataire.titre »" in problem["body"]


def test_a_variable_offered_by_another_kind_of_message_is_unknown_here():
    texts = {name: getattr(KINDS["account.welcome"], name) for name in ("subject", "body", "sms_text", "letter_text")}
    texts["body"] = "{{ message }}"
    assert "« message »" in check_texts("account.welcome", texts)["body"]


def test_syntax_errors_are_refused_with_the_line():
    assert problems_for("Bonjour\n{{ destinataire.nom ")["body"].startswith("Erreur de syntaxe ligne 2 :")
    assert problems_for("{% if destinataire.nom %}sans fin")["body"].startswith("Erreur de syntaxe")
    assert problems_for("{% endif %}")["body"].startswith("Erreur de syntaxe")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ destinataire.__class__ }}",
        "{{ destinataire['__class__'] }}",
        "{{ destinataire.nom.__class__ }}",
        "{{ self.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ range(10) }}",
        "{{ config }}",
        "{{ destinataire.items() }}",
        "{{ destinataire.nom.upper() }}",
        "{{ (destinataire.nom).__len__ }}",
    ],
)
def test_sandbox_escape_attempts_are_refused(source):
    problem = problems_for(source)["body"]
    assert problem.startswith(("Opération interdite", "Variable inconnue", "Instruction non autorisée"))


@pytest.mark.parametrize(
    ("source", "construct"),
    [
        ("{% for c in destinataire.nom %}{{ c }}{% endfor %}", "{% for %}"),
        ("{% set x = destinataire.nom %}{{ x }}", "{% set %}"),
        ("{% macro m() %}x{% endmacro %}", "{% macro %}"),
        ("{% include 'base.html' %}", "{% include %}"),
        ("{% extends 'base.html' %}", "{% extends %}"),
        ("{{ 9 ** 9 ** 9 }}", "Pow"),
        ("{{ 'x' * 1000000000 }}", "Mul"),
    ],
)
def test_loops_assignments_macros_includes_and_arithmetic_are_refused(source, construct):
    problem = problems_for(source)["body"]
    assert problem.startswith("Instruction non autorisée")
    assert construct in problem


@pytest.mark.parametrize("source", [
    "{{ destinataire.nom|replace('a', 'aaaaaaaa') }}",
    "{{ destinataire.nom|center(1000000000) }}",
    "{{ '%1000000000s'|format(destinataire.nom) }}",
    "{{ destinataire.nom|attr('__class__') }}",
    "{{ destinataire.nom|safe }}",
])
def test_filters_that_could_grow_a_text_or_reach_attributes_are_refused(source):
    assert problems_for(source)["body"].startswith("Filtre non autorisé")


def test_too_long_a_template_is_refused():
    assert problems_for("x" * (MAX_TEMPLATE_LENGTH + 1))["body"].startswith("Le texte est trop long")


def test_missing_field_is_checked_as_empty():
    assert check_texts("message.free", {"subject": "x"}) == {}


def test_rendering_with_a_context_lacking_a_variable_raises_a_template_problem():
    with pytest.raises(TemplateProblem) as raised:
        render_texts({**GOOD}, {"destinataire": {"prenom": "A"}})
    assert "Variable inconnue" in raised.value.message


def test_output_is_plain_text_escaping_is_left_to_the_html_templates():
    context = sample_context(KINDS["message.free"])
    context["message"] = "<b>R&D</b>"
    assert render_texts({**GOOD, "body": "{{ message }}"}, context).body == "<b>R&D</b>"


def test_subject_and_sms_are_on_one_line():
    context = sample_context(KINDS["message.free"])
    rendered = render_texts({**GOOD, "subject": "A\r\nBcc: x@y\n{{ objet }}", "sms_text": "a\n\nb"}, context)
    assert rendered.subject == "A Bcc: x@y Votre dossier"
    assert rendered.sms_text == "a b"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_check_texts_never_raises_on_arbitrary_text(text):
    problems = check_texts("message.free", {"subject": text, "body": text, "sms_text": text, "letter_text": text})
    assert isinstance(problems, dict)
    assert all(isinstance(message, str) and message for message in problems.values())


JINJA_BITS = st.sampled_from([
    "{{", "}}", "{%", "%}", "{#", "#}", " if ", " else ", " endif ", " for ", "destinataire", ".", "nom",
    "__class__", "|", "upper", "(", ")", "'", '"', "~", "*", "message", "collectivite", " ", "\n", "[", "]",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(JINJA_BITS, max_size=40).map("".join))
def test_check_texts_never_raises_on_template_like_text(text):
    problems = check_texts("message.free", {"subject": text, "body": text, "sms_text": text, "letter_text": text})
    assert isinstance(problems, dict)
