"""The citizens' catalogue search form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Theme


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher une démarche"), required=False, max_length=200,
        help_text=_("Par exemple : acte de naissance, cantine, salle."),
    )
    theme = forms.ChoiceField(label=_("Thème"), required=False, choices=[("", _("Tous les thèmes"))] + Theme.choices)
