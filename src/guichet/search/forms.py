"""The search box."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import MAX_QUERY_LENGTH, SearchQueryError, parse_query


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher une demande"), strip=True,
        help_text=_("Numéro de suivi, nom, adresse électronique ou téléphone du demandeur, adresse, quartier, ou des "
                    "mots de la demande et des messages."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false",
                                     "maxlength": MAX_QUERY_LENGTH}),
        error_messages={"required": _("Saisissez ce que vous cherchez.")},
    )

    def clean_q(self):
        text = self.cleaned_data["q"]
        try:
            terms = parse_query(text)
        except SearchQueryError as error:
            raise forms.ValidationError(error.message, code="invalid") from error
        self.terms = terms
        return text

    def full_clean(self):
        super().full_clean()
        if self.is_bound and "q" in self.errors:
            # The error is read with the field (its id is in includes/field.html).
            self.fields["q"].widget.attrs["aria-describedby"] = "id_q_helptext id_q_error"
