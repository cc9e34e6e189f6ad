"""Validation of personal data in French conventions."""

import datetime
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Metropolitan France and the overseas departments and collectivities that share French numbering.
FRENCH_REGIONS = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"}
POSTCODE = re.compile(r"^(\d{5})$")


def _is_french(number):
    return phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) in FRENCH_REGIONS


def parse_french_phone(value):
    """A PhoneNumber for a number typed the French way, or None when it is not a valid French number.

    National numbers ("06 12 34 56 78") are read as metropolitan first, then as overseas ones
    ("0692 12 34 56" is La Réunion), since they share the leading 0.
    """
    from phonenumber_field.phonenumber import PhoneNumber

    if isinstance(value, phonenumbers.PhoneNumber):
        return value if _is_french(value) else None
    text = str(value or "").strip()
    for region in ["FR", *sorted(FRENCH_REGIONS - {"FR"})]:
        try:
            number = PhoneNumber.from_string(text, region=region)
        except phonenumbers.NumberParseException:
            return None
        if _is_french(number):
            return number
        if text.startswith("+"):
            return None  # an international number does not depend on the region tried
    return None


def validate_french_phone(value):
    if parse_french_phone(value) is None:
        raise ValidationError(
            _("Indiquez un numéro de téléphone français valide, par exemple 06 12 34 56 78."), code="invalid_phone"
        )


def validate_birth_date(value):
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("La date de naissance ne peut pas être dans le futur."), code="future")
    if value < datetime.date(today.year - 130, 1, 1):
        raise ValidationError(_("Vérifiez l'année de naissance."), code="too_old")


def validate_postcode(value):
    if not POSTCODE.match(value or ""):
        raise ValidationError(_("Le code postal compte 5 chiffres, par exemple 54000."), code="invalid_postcode")
