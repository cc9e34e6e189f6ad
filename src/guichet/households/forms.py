from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.forms import DateInput

from .models import HouseholdMember


class HouseholdMemberForm(forms.ModelForm):
    """A member of the citizen's household; the model requires a birth date for a child."""

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
