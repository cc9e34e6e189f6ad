"""Human-readable summary of answers (recap page, receipt, agents' request page, PDF)."""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import formats
from .conditions import visible_answers
from .schema import DISPLAY_TYPES, holds_value, page_fields, pages


def _member_label(members, value):
    for member in members or ():
        member_id = member.get("id") if isinstance(member, dict) else getattr(member, "id", None)
        if str(member_id) == str(value):
            first = member.get("first_name") if isinstance(member, dict) else getattr(member, "first_name", "")
            last = member.get("last_name") if isinstance(member, dict) else getattr(member, "last_name", "")
            return f"{first} {last}".strip()
    return _("Personne n° %(id)s") % {"id": value}


def display_value(field, value, *, members=(), attachments=None):
    """The text shown for one answer (French formats: dates 14/07/2025, numbers 12,5, oui/non, labels)."""
    kind = field.get("type")
    if value is None or value == "" or value == []:
        return ""
    if kind == "boolean":
        return _("Oui") if value is True else _("Non") if value is False else str(value)
    if kind == "date":
        try:
            return date_format(datetime.date.fromisoformat(str(value)), "d/m/Y")
        except ValueError:
            return str(value)
    if kind == "number":
        return str(value).replace(".", ",")
    if kind == "phone":
        from guichet.accounts.services import format_phone

        return format_phone(value)
    if kind in ("choice", "multichoice"):
        labels = {str(choice.get("value")): choice.get("label") for choice in field.get("choices") or []
                  if isinstance(choice, dict)}
        items = value if isinstance(value, list) else [value]
        return ", ".join(str(labels.get(str(item), item)) for item in items)
    if kind == "household_member":
        items = value if isinstance(value, list) else [value]
        return ", ".join(_member_label(members, item) for item in items)
    if kind == "file":
        names = attachments or {}
        items = value if isinstance(value, list) else [value]
        return ", ".join(str(names.get(item, names.get(str(item), _("fichier n° %(id)s") % {"id": item})))
                         for item in items)
    if kind == "address" and isinstance(value, dict):
        text = ", ".join(filter(None, [value.get("street"), " ".join(filter(None, [value.get("postcode"),
                                                                                    value.get("city")]))]))
        if value.get("lat") is not None and value.get("lon") is not None:
            text += " " + _("(point : %(lat)s, %(lon)s)") % {"lat": value["lat"], "lon": value["lon"]}
        return text
    if kind == "block" and isinstance(value, list):
        return "\n".join(
            f"{index}. " + " ; ".join(
                f"{sub.get('label')} : {display_value(sub, item.get(sub.get('id')))}"
                for sub in page_fields(field) if sub.get("type") not in DISPLAY_TYPES
                and item.get(sub.get("id")) not in (None, "", [])
            )
            for index, item in enumerate(value, start=1) if isinstance(item, dict)
        )
    if kind == "text" and (field.get("validation") or {}).get("format") == "iban":
        return formats.display_iban(str(value))
    return str(value)


def summary(defn, answers, *, members=(), attachments=None):
    """``[(page title, [(label, display value)])]`` for the visible pages and their visible answered fields.

    `members`: the household members (to name household_member answers), `attachments`: ``{attachment id:
    original name}`` for file answers. Computed values are listed too (their label shows what they are).
    """
    kept = visible_answers(defn, answers if isinstance(answers, dict) else {})
    result = []
    for page in pages(defn):
        rows = []
        for field in page_fields(page):
            field_id = field.get("id")
            if not holds_value(field) or field_id not in kept:
                continue
            text = display_value(field, kept[field_id], members=members, attachments=attachments)
            if text:
                rows.append((field.get("label") or field_id, text))
        if rows:
            result.append((page.get("title") or "", rows))
    return result
