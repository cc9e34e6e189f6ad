"""What the index holds about a request: its `identity` (who and where) and its `content` (what it says).

Built from plain values (a `values()` row of `REQUEST_VALUES`) so that one request and a million go through the
same code. An anonymised request keeps only what is not personal: its tracking code, district and procedure.
"""

from guichet.formdefs.display import display_value
from guichet.formdefs.schema import iter_fields, page_fields

from .text import index_text, phone_token

# The request's columns the index is made of (with the citizen's own details).
REQUEST_VALUES = (
    "pk", "organisation_id", "version_id", "tracking_code", "contact_name", "contact_email", "contact_phone",
    "concerns", "address", "district", "data", "anonymised_at", "citizen__first_name", "citizen__last_name",
    "citizen__email", "citizen__phone",
)
# Timeline events whose text is part of the request's content: messages both ways, the written answer, the
# complement asked and given.
TEXT_EVENT_KINDS = (
    "message_citizen", "message_agent", "answer", "information_requested", "information_answered",
    "mail_received",  # the text of an e-mail or of a scanned letter (OCR) added to the request
)
# Bound on the text taken from one request (answers and messages), far below PostgreSQL's 1 MB per tsvector.
MAX_CONTENT_CHARS = 100_000

SKIPPED_TYPES = ("file", "boolean", "date", "household_member", "title", "comment")


def form_plan(form):
    """[(field id, type, field, choice labels or sub-plan)] of the form's fields whose answers are searched:
    computed once per procedure version (a million requests share a few dozen versions)."""
    plan = []
    for field in (field for _page, field in iter_fields(form or {})):
        plan.extend(_field_plan(field))
    return plan


def _field_plan(field):
    kind = field.get("type")
    if kind in SKIPPED_TYPES or not field.get("id"):
        return []
    extra = None
    if kind in ("choice", "multichoice"):
        extra = {str(choice.get("value")): str(choice.get("label") or choice.get("value"))
                 for choice in field.get("choices") or [] if isinstance(choice, dict)}
    elif kind == "block":
        extra = [entry for sub in page_fields(field) for entry in _field_plan(sub)]
    return [(field["id"], kind, field, extra)]


def _answer_parts(plan_entry, value, identity, content):
    """Add the searchable text of one answer to `identity` (e-mail, phone, address) or `content`."""
    _field_id, kind, field, extra = plan_entry
    if value is None or value == "" or value == []:
        return
    if kind == "phone":
        identity.append(phone_token(value) or str(value))
    elif kind == "email":
        identity.append(str(value))
    elif kind in ("choice", "multichoice"):
        for item in value if isinstance(value, list) else [value]:
            content.append(extra.get(str(item), str(item)))
    elif kind == "address":
        if isinstance(value, dict):
            identity.append(" ".join(str(value.get(key) or "") for key in ("street", "postcode", "city")))
    elif kind == "block":
        for item in value if isinstance(value, list) else ():
            if isinstance(item, dict):
                for sub in extra:
                    _answer_parts(sub, item.get(sub[0]), identity, content)
    elif kind in ("text", "textarea", "number", "computed"):
        content.append(str(value))
    else:
        content.append(display_value(field, value))


def request_texts(row, plan, title, event_texts=()):
    """(identity, content) of the request `row` (a mapping of REQUEST_VALUES) whose version's `form_plan` is
    `plan`, of procedure `title`, whose timeline holds `event_texts`."""
    code = row["tracking_code"] or ""
    if row.get("anonymised_at") is not None:
        return index_text(code, row.get("district")), index_text(title)
    identity = [
        code, row.get("citizen__first_name"), row.get("citizen__last_name"), row.get("citizen__email"),
        phone_token(row.get("citizen__phone")), row.get("contact_name"), row.get("contact_email"),
        phone_token(row.get("contact_phone")) or row.get("contact_phone"), row.get("concerns"),
        row.get("address"), row.get("district"),
    ]
    content = [title]
    data = row.get("data") if isinstance(row.get("data"), dict) else {}
    for entry in plan:
        if entry[0] in data:
            _answer_parts(entry, data[entry[0]], identity, content)
    content.extend(event_texts)
    text, size = [], 0
    for part in content:
        part = str(part or "")
        if size + len(part) > MAX_CONTENT_CHARS:
            text.append(part[: MAX_CONTENT_CHARS - size])
            break
        text.append(part)
        size += len(part)
    return index_text(*[part for part in identity if part]), index_text(*text)
