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


def validate_french_phone(value):
    number = value if isinstance(value, phonenumbers.PhoneNumber) else None
    if number is None:
        try:
            number = phonenumbers.parse(str(value), "FR")
        except phonenumbers.NumberParseException:
            number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) not in FRENCH_REGIONS
    ):
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
