"""Computed (hidden) values: a restricted template evaluated on the server, never read from the browser.

The template language is the notifications' sandbox (``guichet.notifications.rendering``): variables,
``{% if %}`` conditions, comparisons and simple filters only. A computed field may read:

- ``profile.<civility|first_name|last_name|birth_date|email|phone|address_line|postcode|city|full_address>``;
- ``household.children_count``, ``household.members_count``;
- ``answers["<field id>"]`` — the display text of an answer given EARLIER in the form ("" when unanswered).
"""

from django.utils.translation import gettext as _

from guichet.notifications.rendering import TemplateProblem, render_texts

from .schema import PROFILE_FIELDS, holds_value, iter_fields

MAX_COMPUTED_LENGTH = 1_000


def profile_context(citizen_data=None):
    """``{"profile": …, "household": …}`` for computed values (empty strings for an anonymous citizen)."""
    profile = {name: "" for name in PROFILE_FIELDS}
    household = {"children_count": 0, "members_count": 0}
    if citizen_data is not None:
        for name in PROFILE_FIELDS:
            if name == "full_address":
                profile[name] = citizen_data.postal_address or ""
            elif name == "birth_date":
                profile[name] = citizen_data.birth_date.isoformat() if citizen_data.birth_date else ""
            else:
                profile[name] = getattr(citizen_data, name, "") or ""
        household = {"children_count": len(citizen_data.children), "members_count": len(citizen_data.members)}
    return {"profile": profile, "household": household}


def _answer_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list):
        return ", ".join(_answer_text(item) for item in value if not isinstance(item, (list, dict)))
    if isinstance(value, dict):
        return " ".join(str(item) for item in value.values() if item not in (None, ""))
    return str(value)


def earlier_ids(defn, field_id):
    """Ids of the value fields placed before `field_id` in the form."""
    ids = []
    for _page, field in iter_fields(defn):
        if field.get("id") == field_id:
            break
        if holds_value(field) and isinstance(field.get("id"), str):
            ids.append(field["id"])
    return ids


def compute(defn, field, answers, context=None):
    """The value of a computed field for these answers ("" when its expression cannot be rendered)."""
    base = context if context is not None else profile_context(None)
    earlier = earlier_ids(defn, field.get("id"))
    full = {
        "profile": dict(base.get("profile") or profile_context(None)["profile"]),
        "household": dict(base.get("household") or profile_context(None)["household"]),
        "answers": {name: _answer_text(answers.get(name)) for name in earlier},
    }
    try:
        text = render_texts({"subject": field.get("expression") or "", "body": "", "sms_text": "",
                             "letter_text": ""}, full).subject
    except TemplateProblem:
        return ""
    return text[:MAX_COMPUTED_LENGTH]


def check_expression(defn, field):
    """The French problem of a computed field's expression, or None."""
    expression = field.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        return _("Indiquez l'expression qui calcule la valeur.")
    sample = profile_context(None)
    sample["profile"] = {name: "x" for name in sample["profile"]}
    sample["answers"] = {name: "x" for name in earlier_ids(defn, field.get("id"))}
    try:
        render_texts({"subject": expression, "body": "", "sms_text": "", "letter_text": ""}, sample)
    except TemplateProblem as problem:
        return problem.message
    return None
