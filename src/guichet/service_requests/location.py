"""What a request is about, copied from its answers at submission so that lists can filter and sort on it:
its place (the first address answered: street, postcode and city, and its point) and the household members it
concerns (the members chosen in household_member fields).

The district of a request is the answer of a field named « quartier » when the form has one (a choice or a
text), otherwise the city of its address: for an intercommunal body that is the member commune, for a commune
with several localities the locality.
"""

from dataclasses import dataclass

DISTRICT_FIELD_IDS = ("quartier", "district")


@dataclass(frozen=True)
class Location:
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    district: str = ""


def _point(value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _choice_label(field, value):
    for choice in field.get("choices") or []:
        if isinstance(choice, dict) and choice.get("value") == value:
            return str(choice.get("label") or value)
    return str(value)


def location_of(form, answers):
    """The Location of a request from its form definition and (visible) answers."""
    from guichet.formdefs.schema import iter_fields

    address = None
    district = ""
    for _page, field in iter_fields(form):
        field_id, kind = field.get("id"), field.get("type")
        value = answers.get(field_id)
        if kind == "address" and address is None and isinstance(value, dict) and any(value.values()):
            address = value
        elif field_id in DISTRICT_FIELD_IDS and not district and isinstance(value, str) and value.strip():
            district = _choice_label(field, value) if kind == "choice" else value.strip()
    if address is None:
        return Location(district=district[:120])
    street = str(address.get("street") or "").strip()
    postcode = str(address.get("postcode") or "").strip()
    city = str(address.get("city") or "").strip()
    text = ", ".join(part for part in (street, " ".join(p for p in (postcode, city) if p)) if part)
    return Location(
        address=text[:300],
        latitude=_point(address.get("lat"), -90, 90),
        longitude=_point(address.get("lon"), -180, 180),
        district=(district or city)[:120],
    )


def concerns_of(form, answers, members):
    """« Léa Martin, Hugo Martin »: the household members chosen in the request's household_member fields."""
    from guichet.formdefs.schema import iter_fields

    by_id = {member.pk: member for member in members}
    names = []
    for _page, field in iter_fields(form):
        if field.get("type") != "household_member":
            continue
        value = answers.get(field.get("id"))
        for member_id in value if isinstance(value, list) else []:
            member = by_id.get(member_id)
            if member is not None:
                name = f"{member.first_name} {member.last_name}".strip()
                if name not in names:
                    names.append(name)
    return ", ".join(names)[:300]


def apply_location(service_request, members=()):
    """Set the request's address, point, district and concerned members from its answers (not saved)."""
    form = service_request.version.form
    answers = service_request.data or {}
    location = location_of(form, answers)
    service_request.address = location.address
    service_request.latitude = location.latitude
    service_request.longitude = location.longitude
    service_request.district = location.district
    service_request.concerns = concerns_of(form, answers, members)
