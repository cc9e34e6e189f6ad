"""The dashboard's filters: a service of the remit and a period."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import MAX_PERIOD_DAYS, default_period

# Dates outside these bounds cannot be turned into a moment of the database (year 1 in Paris is before year 1 in
# UTC; the day after 31/12/9999 does not exist): refused with a message instead of an error 500.
MIN_DATE, MAX_DATE = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)


def plausible_date(value):
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise forms.ValidationError(_("Saisissez une date entre le 01/01/1900 et le 31/12/2999."), code="out_of_range")


class DashboardFilterForm(forms.Form):
    service = forms.ChoiceField(
        label=_("Service"), required=False,
        error_messages={"invalid_choice": _("Choisissez un des services de la liste.")},
    )
    start = forms.DateField(
        label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Demandes reçues à partir de ce jour (par défaut : il y a douze mois)."),
        error_messages={"invalid": _("Saisissez une date valide, par exemple 01/01/2026.")},
        validators=[plausible_date],
    )
    end = forms.DateField(
        label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Jusqu'à ce jour inclus (par défaut : aujourd'hui)."),
        error_messages={"invalid": _("Saisissez une date valide, par exemple 31/12/2026.")},
        validators=[plausible_date],
    )

    def __init__(self, data=None, *, services=(), today=None):
        super().__init__(data)
        self.services = {str(service.pk): service for service in services}
        self.fields["service"].choices = [("", _("Tous les services"))] + [
            (pk, service.name) for pk, service in self.services.items()
        ]
        self.default_start, self.default_end = default_period(today)

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start") or self.default_start
        end = cleaned.get("end") or self.default_end
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if start > end:
            self.add_error("end", _("La fin de la période doit suivre son début."))
        elif (end - start) > datetime.timedelta(days=MAX_PERIOD_DAYS):
            self.add_error("start", _("Choisissez une période de cinq ans au plus."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def chosen_service(self):
        return self.services.get(self.cleaned_data.get("service") or "")
