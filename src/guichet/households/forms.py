from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.forms import DateInput

from .models import HouseholdMember


class HouseholdMemberForm(forms.ModelForm):
    class Meta:
        model = HouseholdMember
        fields = ["relationship", "civility", "first_name", "last_name", "birth_date"]
        widgets = {
            "relationship": forms.RadioSelect,
            "birth_date": DateInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["civility"] = forms.ChoiceField(
            label=_("Civilité"), required=False, widget=forms.RadioSelect,
            choices=[("", _("Non précisée")), ("mme", _("Madame")), ("m", _("Monsieur"))],
        )
        self.order_fields(self.Meta.fields)
        self.fields["relationship"].choices = HouseholdMember.Relationship.choices
        self.fields["birth_date"].help_text = _("Obligatoire pour un enfant.")

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("relationship") == HouseholdMember.Relationship.CHILD
            and not cleaned.get("birth_date")
            and "birth_date" not in self.errors
        ):
            self.add_error("birth_date", _("Indiquez la date de naissance de l'enfant."))
        return cleaned
