"""Forms of the duplicates pages: the other request's tracking code, the merge, the recurring problems' period."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.service_requests.codes import normalise_tracking_code

from .services import MAX_MESSAGE_LENGTH

PERIODS = (("30", _("30 derniers jours")), ("90", _("90 derniers jours")), ("365", _("12 derniers mois")),
           ("dates", _("Entre deux dates")))
PLACES = (("district", _("Quartier ou commune")), ("address", _("Adresse")))
MAX_THRESHOLD = 1000
MAX_PERIOD_DAYS = 366 * 5


class OtherRequestForm(forms.Form):
    """The tracking code of the other request (typed by the agent, or carried by a button)."""

    autre = forms.CharField(
        label=_("Numéro de suivi de l'autre demande"), max_length=30,
        help_text=_("Par exemple RQ-7K4M-2P9X."),
        error_messages={"required": _("Indiquez le numéro de suivi de l'autre demande.")},
    )

    def clean_autre(self):
        code = normalise_tracking_code(self.cleaned_data["autre"])
        if code is None:
            raise forms.ValidationError(_("Ce numéro de suivi n'est pas valide : il ressemble à RQ-7K4M-2P9X."))
        return code


class MergeForm(forms.Form):
    principale = forms.ChoiceField(
        label=_("Demande à garder (la demande principale)"), widget=forms.RadioSelect,
        help_text=_("L'autre demande est close et regroupée dans celle-ci ; son usager en est informé, puis "
                    "reçoit les avis d'avancement de la demande principale."),
        error_messages={"required": _("Choisissez la demande à garder."),
                        "invalid_choice": _("Choisissez l'une des deux demandes.")},
    )
    message = forms.CharField(
        label=_("Message à l'usager de la demande regroupée (facultatif)"), required=False,
        max_length=MAX_MESSAGE_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ajouté au message qui lui annonce le regroupement."),
        error_messages={"max_length": _("Le message est trop long (%(limit_value)s caractères au plus).")},
    )
    verrou_a = forms.IntegerField(widget=forms.HiddenInput)
    verrou_b = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, first, second, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["principale"].choices = [
            (request.tracking_code, _("%(code)s — %(title)s, envoyée le %(date)s") % {
                "code": request.tracking_code, "title": request.version.title,
                "date": timezone.localtime(request.submitted_at).strftime("%d/%m/%Y")})
            for request in (first, second)
        ]


class RecurringForm(forms.Form):
    periode = forms.ChoiceField(label=_("Période"), choices=PERIODS, required=False, initial="90")
    du = forms.DateField(label=_("Du"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                         help_text=_("Pour « Entre deux dates » ; par exemple 01/03/2026."),
                         error_messages={"invalid": _("Indiquez une date valide, par exemple 01/03/2026.")})
    au = forms.DateField(label=_("Au (inclus)"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                         error_messages={"invalid": _("Indiquez une date valide, par exemple 31/03/2026.")})
    lieu = forms.ChoiceField(label=_("Regrouper par"), choices=PLACES, required=False, initial="district")
    seuil = forms.IntegerField(
        label=_("Nombre minimum de demandes"), required=False, min_value=2, max_value=MAX_THRESHOLD, initial=3,
        error_messages={"invalid": _("Indiquez un nombre entier, par exemple 3."),
                        "min_value": _("Indiquez au moins 2 demandes."),
                        "max_value": _("Indiquez au plus %(limit_value)s demandes.")},
    )

    def clean(self):
        data = super().clean()
        period = data.get("periode") or "90"
        data["periode"] = period
        data["lieu"] = data.get("lieu") or "district"
        if data.get("seuil") is None and "seuil" not in self.errors:
            data["seuil"] = 3
        if period == "dates":
            start, end = data.get("du"), data.get("au")
            if start is None and "du" not in self.errors:
                self.add_error("du", _("Indiquez la date de début de la période."))
            if end is None and "au" not in self.errors:
                self.add_error("au", _("Indiquez la date de fin de la période."))
            if start and end:
                if end < start:
                    self.add_error("au", _("La date de fin doit suivre la date de début."))
                elif (end - start).days > MAX_PERIOD_DAYS:
                    self.add_error("au", _("Choisissez une période de cinq ans au plus."))
        return data

    def period(self, today=None):
        """(start, end) datetimes, end excluded, of the chosen period (local days)."""
        today = today or timezone.localdate()
        data = self.cleaned_data
        if data["periode"] == "dates":
            first, last = data["du"], data["au"]
        else:
            first, last = today - datetime.timedelta(days=int(data["periode"]) - 1), today
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return start, end
