"""Pre-filling answers from what the citizen told the collectivité once (profile and household).

Sources (``prefill`` of a field): ``profile.<civility|first_name|last_name|birth_date|email|phone|
address_line|postcode|city|full_address>``; for an address field ``profile.full_address`` fills street,
postcode and city; ``household.children|spouse|members`` fill a repeatable block with one item per person,
its sub-fields reading ``member.<civility|first_name|last_name|birth_date>`` (a household_member field
with a household source only offers those people: the picker lists them, nothing is pre-selected).
``default`` values apply when there is no pre-fill value.
"""

from .schema import iter_fields, page_fields


def _profile_value(citizen_data, name):
    if name == "full_address":
        return citizen_data.postal_address or None
    if name == "birth_date":
        return citizen_data.birth_date.isoformat() if citizen_data.birth_date else None
    value = getattr(citizen_data, name, None)
    return value or None


def _member_value(member, name):
    value = getattr(member, name, None)
    if name == "birth_date":
        return value.isoformat() if value else None
    return value or None


def _people(citizen_data, source):
    if source == "household.children":
        return list(citizen_data.children)
    if source == "household.spouse":
        return [citizen_data.spouse] if citizen_data.spouse else []
    return list(citizen_data.members)


def prefill_values(defn, citizen_data):
    """Initial answers ``{field id: value}`` for the fields with a `prefill` source or a `default`, read from a
    ``guichet.households.services.CitizenData`` (None for an anonymous citizen: defaults only). Values have the
    shape of answers (README.md, "Answers")."""
    values = {}
    for _page, field in iter_fields(defn):
        field_id, kind, source = field.get("id"), field.get("type"), field.get("prefill")
        value = None
        if citizen_data is not None and isinstance(source, str):
            if kind == "address" and source.startswith("profile."):
                street = " ".join(filter(None, [citizen_data.address_line, citizen_data.address_complement]))
                if street or citizen_data.postcode or citizen_data.city:
                    value = {"street": street, "postcode": citizen_data.postcode, "city": citizen_data.city,
                             "lat": None, "lon": None}
            elif kind == "block" and source.startswith("household."):
                items = []
                for person in _people(citizen_data, source)[: int(field.get("max_items") or 1)]:
                    item = {}
                    for sub in page_fields(field):
                        sub_source = sub.get("prefill")
                        if isinstance(sub_source, str) and sub_source.startswith("member."):
                            sub_value = _member_value(person, sub_source.split(".", 1)[1])
                            if sub_value is not None:
                                item[sub["id"]] = sub_value
                    items.append(item)
                value = items or None
            elif source.startswith("profile.") and kind not in ("block", "household_member", "file", "computed"):
                value = _profile_value(citizen_data, source.split(".", 1)[1])
                if kind == "choice" and value not in [c.get("value") for c in field.get("choices") or []
                                                      if isinstance(c, dict)]:
                    value = None
        if value is None:
            value = field.get("default")
        if value is not None and isinstance(field_id, str):
            values[field_id] = value
    return values
