"""Sandboxed rendering of the collectivités' message templates (Jinja2's SandboxedEnvironment).

A message template is a small text with variables (``{{ destinataire.nom }}``), conditions
(``{% if … %}…{% else %}…{% endif %}``) and a few harmless filters (``upper``, ``default``, ``truncate``…).
Nothing else is accepted, so that a template can neither execute code nor make the worker spin or fill its
memory:

- every template is parsed and checked before it is rendered: only output, conditions, comparisons, the
  ``~`` concatenation and the listed filters are allowed — no loops, assignments, macros, calls, includes,
  arithmetic or attributes starting with ``_``;
- every variable must be one the message offers (it is checked statically, in every branch, then again at
  rendering time by StrictUndefined), so a typo is refused when the template is saved instead of printing
  nothing to citizens;
- rendering happens in Jinja2's sandbox with no globals, as a second line of defence.

Templates produce plain text (e-mail text, SMS, letter). The HTML e-mail and the web pages show that text
through Django's templates with autoescape on, so a variable can never inject markup.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .catalogue import get_kind, sample_context

FIELDS = ("subject", "body", "sms_text", "letter_text")
# Longest text a template field may hold (a letter fits easily).
MAX_TEMPLATE_LENGTH = 20_000
# Filters that cannot make a text grow beyond its input: no replace/center/indent/format/join.
ALLOWED_FILTERS = frozenset({
    "abs", "capitalize", "count", "d", "default", "first", "float", "int", "last", "length", "lower", "round",
    "string", "striptags", "title", "trim", "truncate", "upper", "wordcount",
})
# Everything a template may contain.
ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Name, nodes.Getattr, nodes.Getitem,
    nodes.Const, nodes.Filter, nodes.Test, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not,
    nodes.Concat, nodes.CondExpr, nodes.Keyword, nodes.List, nodes.Tuple, nodes.Neg, nodes.Pos,
)
# How a refused construct is named in the message to the template's author.
FORBIDDEN_NAMES = {
    nodes.For: "{% for %}", nodes.Assign: "{% set %}", nodes.AssignBlock: "{% set %}", nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}", nodes.Call: gettext_lazy("l'appel de fonction « ( ) »"), nodes.Include: "{% include %}",
    nodes.Import: "{% import %}", nodes.FromImport: "{% from %}", nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}", nodes.With: "{% with %}", nodes.FilterBlock: "{% filter %}",
    nodes.Scope: "{% with %}", nodes.Dict: "{ }",
}


class _Environment(SandboxedEnvironment):
    """Templates only ever see plain values: `a.b` is the key "b" of the dict `a`, never an attribute."""

    def getattr(self, obj, attribute):
        if isinstance(obj, dict):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return self.unsafe_undefined(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(obj, dict) and isinstance(argument, str):
            return obj[argument] if argument in obj else self.undefined(obj=obj, name=argument)
        return self.unsafe_undefined(obj, str(argument))


_env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.globals.clear()
_env.filters = {name: function for name, function in _env.filters.items() if name in ALLOWED_FILTERS}


class TemplateProblem(Exception):
    """A template that cannot be rendered; `message` is French and tells where and why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class RenderedMessage:
    subject: str
    body: str
    sms_text: str
    letter_text: str


def variable_names(context):
    """Dotted names of the values of a context: {"destinataire": {"nom": …}} -> {"destinataire.nom"}."""
    names = set()
    for key, value in context.items():
        if isinstance(value, dict):
            names |= {f"{key}.{name}" for name in variable_names(value)}
        else:
            names.add(str(key))
    return names


def _dotted(node):
    """`destinataire.nom` or `destinataire["nom"]` as "destinataire.nom"; None for anything else."""
    parts = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return ".".join(reversed(parts))
        else:
            return None


def _check_node(node, variables):
    """Raise TemplateProblem for the first construct or variable this template may not use."""
    if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
        name = _dotted(node)
        if name is None:
            raise TemplateProblem(
                _("Opération interdite dans un modèle (ligne %(line)s) : seules les variables de la liste "
                  "peuvent être utilisées.") % {"line": node.lineno}
            )
        if any(part.startswith("_") for part in name.split(".")):
            raise TemplateProblem(
                _("Opération interdite dans un modèle (ligne %(line)s) : « %(name)s ».") % {
                    "line": node.lineno, "name": name}
            )
        if name not in variables:
            raise TemplateProblem(
                _("Variable inconnue ligne %(line)s : « %(name)s ». Utilisez une des variables de la liste.") % {
                    "line": node.lineno, "name": name}
            )
        return
    if not isinstance(node, ALLOWED_NODES):
        construct = FORBIDDEN_NAMES.get(type(node), type(node).__name__)
        raise TemplateProblem(
            _("Instruction non autorisée dans un modèle (ligne %(line)s) : %(construct)s. Un modèle ne peut "
              "contenir que du texte, des variables, des conditions {%% if %%} et des filtres simples.") % {
                "line": node.lineno, "construct": construct}
        )
    if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
        raise TemplateProblem(
            _("Filtre non autorisé ligne %(line)s : « %(name)s ». Filtres possibles : %(filters)s.") % {
                "line": node.lineno, "name": node.name, "filters": ", ".join(sorted(ALLOWED_FILTERS))}
        )
    if isinstance(node, nodes.Test) and node.name not in _env.tests:
        raise TemplateProblem(_("Test inconnu ligne %(line)s : « %(name)s ».") % {
            "line": node.lineno, "name": node.name})
    for child in node.iter_child_nodes():
        _check_node(child, variables)


@lru_cache(maxsize=512)
def _compile(source, variables):
    """Parse, check and compile a template once for a given set of variables."""
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise TemplateProblem(_("Le texte est trop long : %(max)s caractères au plus.") % {
            "max": f"{MAX_TEMPLATE_LENGTH:,}".replace(",", "\u202f")})
    try:
        tree = _env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(
            _("Erreur de syntaxe ligne %(line)s : %(message)s") % {"line": error.lineno, "message": error.message}
        ) from error
    _check_node(tree, variables)
    try:
        return _env.from_string(tree)
    except TemplateSyntaxError as error:  # pragma: no cover — parsing already succeeded
        raise TemplateProblem(
            _("Erreur de syntaxe ligne %(line)s : %(message)s") % {"line": error.lineno, "message": error.message}
        ) from error


def _render(source, context):
    if not isinstance(source, str):
        raise TemplateProblem(_("Le modèle doit être un texte."))
    template = _compile(source, frozenset(variable_names(context)))
    try:
        return template.render(context)
    except UndefinedError as error:
        raise TemplateProblem(
            _("Variable inconnue : %(message)s. Utilisez une des variables de la liste.") % {"message": error.message}
        ) from error
    except SecurityError as error:
        raise TemplateProblem(_("Opération interdite dans un modèle : %(message)s") % {"message": error}) from error
    except Exception as error:  # noqa: BLE001 — any other mistake in a template is the author's, not a crash
        raise TemplateProblem(_("Le modèle ne peut pas être affiché : %(message)s") % {"message": error}) from error


def render_texts(texts, context):
    """Render the four texts (a dict with FIELDS) of a message with this context."""
    return RenderedMessage(
        subject=" ".join(_render(texts["subject"], context).split()),
        body=_render(texts["body"], context).strip(),
        sms_text=" ".join(_render(texts["sms_text"], context).split()),
        letter_text=_render(texts["letter_text"], context).strip(),
    )


def check_texts(key, texts):
    """Problems of these texts for this kind of message, as {field: French message}; empty when all is well.

    Each text is checked statically (every branch of every condition) and rendered with the sample values.
    """
    context = sample_context(get_kind(key))
    problems = {}
    for name in FIELDS:
        try:
            _render(texts.get(name) or "", context)
        except TemplateProblem as problem:
            problems[name] = problem.message
        except Exception as error:  # noqa: BLE001 — whatever the text, the author gets a message, not a crash
            problems[name] = _("Le modèle ne peut pas être lu : %(message)s") % {"message": error}
    return problems
