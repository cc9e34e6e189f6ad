"""French formats: postal code, SIRET, SIREN, IBAN (checks only, no I/O)."""

import re

from django.utils.translation import gettext_lazy as _

DIGITS = re.compile(r"^[0-9]+$")
SPACES = re.compile(r"[\s\u00a0\u202f.-]+")
# IBAN length per country (ISO 13616 registry, the SEPA countries and a few neighbours).
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}
LA_POSTE_SIREN = "356000000"

MESSAGES = {
    "postcode": _("Le code postal compte 5 chiffres, par exemple 54000."),
    "siret": _("Le numéro SIRET compte 14 chiffres et doit être valide (vérifiez-le sur votre extrait Kbis "
               "ou votre avis de situation)."),
    "siren": _("Le numéro SIREN compte 9 chiffres et doit être valide."),
    "iban": _("L'IBAN n'est pas valide : vérifiez-le sur votre relevé d'identité bancaire "
              "(FR76 suivi de 23 caractères pour un compte français)."),
}


def compact(value):
    return SPACES.sub("", value or "")


def luhn_ok(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def postcode(value):
    """The postal code (5 digits) or None."""
    value = compact(value)
    return value if len(value) == 5 and DIGITS.match(value) else None


def siren(value):
    value = compact(value)
    return value if len(value) == 9 and DIGITS.match(value) and luhn_ok(value) else None


def siret(value):
    """The SIRET (14 digits, Luhn key; La Poste's establishments: sum of the digits multiple of 5) or None."""
    value = compact(value)
    if len(value) != 14 or not DIGITS.match(value):
        return None
    if value.startswith(LA_POSTE_SIREN) and value != "35600000000048":
        return value if sum(int(char) for char in value) % 5 == 0 else None
    return value if luhn_ok(value) else None


def iban(value):
    """The IBAN in upper case without spaces (ISO 13616: country length, mod 97 = 1) or None."""
    value = compact(value).upper()
    if not re.match(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", value):
        return None
    expected = IBAN_LENGTHS.get(value[:2])
    if expected is not None and len(value) != expected:
        return None
    rearranged = value[4:] + value[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return value if int(number) % 97 == 1 else None


CHECKS = {"postcode": postcode, "siret": siret, "siren": siren, "iban": iban}


def check(format_name, value):
    """The normalised value, or None when it is not in this format."""
    return CHECKS[format_name](value)


def display_iban(value):
    return " ".join(value[index:index + 4] for index in range(0, len(value), 4))
