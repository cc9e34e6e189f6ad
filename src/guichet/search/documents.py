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
)
# Bound on the text taken from one request (answers and messages), far below PostgreSQL's 1 MB per tsvector.
MAX_CONTENT_CHARS = 100_000

PERSON_TYPES = ("email",)
SKIPPED_TYPES = ("file", "boolean", "date", "household_member", "title", "comment")


def _answer_parts(field, value, identity, content):
    """Add the searchable text of one answer to `identity` (e-mail, phone, address) or `content`."""
    kind = field.get("type")
    if value is None or value == "" or value == [] or kind in SKIPPED_TYPES:
        return
    if kind == "phone":
        identity.append(phone_token(value) or str(value))
    elif kind in PERSON_TYPES:
        identity.append(str(value))
    elif kind == "address":
        if isinstance(value, dict):
            identity.append(" ".join(str(value.get(key) or "") for key in ("street", "postcode", "city")))
    elif kind == "block":
        for item in value if isinstance(value, list) else ():
            if isinstance(item, dict):
                for sub in page_fields(field):
                    _answer_parts(sub, item.get(sub.get("id")), identity, content)
    else:
        content.append(display_value(field, value))


def request_texts(row, form, title, event_texts=()):
    """(identity, content) of the request `row` (a mapping of REQUEST_VALUES) made with `form`, of procedure
    `title`, whose timeline holds `event_texts`."""
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
    for _page, field in iter_fields(form or {}):
        if field.get("id") in data:
            _answer_parts(field, data[field.get("id")], identity, content)
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
