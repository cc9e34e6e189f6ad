"""Phone numbers of the directory, the French way: read from any usual form, shown as « 03 83 00 20 10 »."""

import phonenumbers

from guichet.accounts.validators import parse_french_phone


def parse_phone(value):
    """A PhoneNumber for a French number typed any usual way (« 03.83.00.20.10 », « +33 3 83 00 20 10 »), or
    None when the text is not one."""
    text = str(value or "").strip()
    if not text:
        return None
    return parse_french_phone(text)


def french_format(value):
    """« 03 83 00 20 10 » for a French number (overseas ones too: « 0692 12 34 56 »); any other text as it is."""
    if not value:
        return ""
    number = value if isinstance(value, phonenumbers.PhoneNumber) else parse_phone(value)
    if number is None:
        return str(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
