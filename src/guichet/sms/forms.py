"""Administrators' forms: the collectivité's SMS settings, and a test SMS."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.validators import parse_french_phone

from .models import SmsSettings

SECRET_FIELDS = ("ovh_application_secret", "ovh_consumer_key", "brevo_api_key")


class SmsSettingsForm(forms.ModelForm):
    """Edit a collectivité's settings. Secrets are write-only: never shown again, blank keeps the stored one."""

    endpoint_url = forms.URLField(
        label=_("Adresse de l'API"), required=False, max_length=200, assume_scheme="https",
        help_text=_(
            "Laissez vide pour l'adresse officielle (OVH : https://eu.api.ovh.com/1.0, Brevo : "
            "https://api.brevo.com/v3)."
        ),
    )

    class Meta:
        model = SmsSettings
        fields = [
            "backend", "sender", "transliterate", "endpoint_url",
            "ovh_service_name", "ovh_application_key", "ovh_application_secret", "ovh_consumer_key",
            "brevo_api_key",
        ]
        widgets = {"backend": forms.RadioSelect}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        for name in SECRET_FIELDS:
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            if getattr(self.instance, name):
                field.help_text = _("Une valeur est enregistrée ; elle n'est jamais réaffichée. Laissez vide pour "
                                    "la conserver.")

    def clean_sender(self):
        return self.cleaned_data["sender"].strip()

    def _post_clean(self):
        # Blank secret means "keep": put the stored value back before the model is validated.
        if self.instance.pk:
            stored = SmsSettings.objects.get(pk=self.instance.pk)
            for name in SECRET_FIELDS:
                if not self.cleaned_data.get(name):
                    self.cleaned_data[name] = getattr(stored, name)
        super()._post_clean()


class TrialSmsForm(forms.Form):
    phone = forms.CharField(
        label=_("Numéro de téléphone mobile"), max_length=30,
        help_text=_("Un numéro français, par exemple 06 12 34 56 78."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self):
        number = parse_french_phone(self.cleaned_data["phone"])
        if number is None:
            raise forms.ValidationError(_("Indiquez un numéro de téléphone français valide, par exemple 06 12 34 56 78."))
        return number.as_e164
