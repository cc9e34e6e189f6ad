"""Sandboxed rendering of the collectivités' message templates (Jinja2's SandboxedEnvironment).

Templates only see plain values, cannot call methods or reach attributes starting with an underscore,
and an unknown variable is an error (StrictUndefined), so it is refused when the template is saved instead
of printing nothing to citizens. Templates produce plain text (e-mail text, SMS, letter); the HTML e-mail
and the web pages show that text through Django's templates with autoescape on, so a variable can never
inject markup.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .catalogue import get_kind, sample_context

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

FIELDS = ("subject", "body", "sms_text", "letter_text")


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


def _render(source, context):
    try:
        return _env.from_string(source).render(context)
    except TemplateSyntaxError as error:
        raise TemplateProblem(
            _("Erreur de syntaxe ligne %(line)s : %(message)s") % {"line": error.lineno, "message": error.message}
        ) from error
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
    """Problems of these texts for this kind of message, as {field: French message}; empty when all is well."""
    context = sample_context(get_kind(key))
    problems = {}
    for name in FIELDS:
        try:
            _render(texts.get(name, ""), context)
        except TemplateProblem as problem:
            problems[name] = problem.message
    return problems
