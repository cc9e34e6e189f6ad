"""Forms of the citizens' pages of requests (the procedure's own form is built by guichet.formdefs)."""

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.services import format_phone

from .codes import normalise_tracking_code


class ContactForm(forms.Form):
    """Who to answer, for a request made without an account."""

    contact_name = forms.CharField(
        label=_("Vos prénom et nom"), max_length=200, error_messages={"required": _("Indiquez vos prénom et nom.")},
    )
    contact_email = forms.EmailField(
        label=_("Votre adresse électronique"), max_length=254,
        help_text=_("L'accusé de réception et les réponses du service vous y seront envoyés. Exemple : "
                    "camille.martin@example.org"),
        error_messages={
            "required": _("Indiquez votre adresse électronique."),
            "invalid": _("Indiquez une adresse électronique valide, par exemple camille.martin@example.org."),
        },
    )
    contact_phone = forms.CharField(
        label=_("Votre téléphone (facultatif)"), max_length=30, required=False,
        help_text=_("Pour que le service puisse vous rappeler. Exemple : 06 12 34 56 78"),
    )

    def clean_contact_name(self):
        name = " ".join(self.cleaned_data["contact_name"].split())
        if not name:
            raise forms.ValidationError(_("Indiquez vos prénom et nom."))
        return name

    def clean_contact_email(self):
        return self.cleaned_data["contact_email"].strip().lower()

    def clean_contact_phone(self):
        phone = self.cleaned_data["contact_phone"].strip()
        if not phone:
            return ""
        try:
            number = phonenumbers.parse(phone, "FR")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("Indiquez un numéro de téléphone valide, par exemple 06 12 34 56 78."))
        return format_phone(number)


class FollowForm(forms.Form):
    """Find one's request without an account: the tracking code AND the e-mail address given with it."""

    code = forms.CharField(
        label=_("Numéro de suivi"), max_length=30,
        help_text=_("Il figure sur l'accusé de réception, par exemple RQ-7K4M-2P9X."),
        error_messages={"required": _("Indiquez le numéro de suivi de votre demande.")},
    )
    email = forms.EmailField(
        label=_("Adresse électronique donnée avec la demande"), max_length=254,
        error_messages={
            "required": _("Indiquez l'adresse électronique donnée avec la demande."),
            "invalid": _("Indiquez une adresse électronique valide, par exemple camille.martin@example.org."),
        },
    )

    def clean_code(self):
        code = normalise_tracking_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(_(
                "Ce numéro de suivi n'est pas valide : vérifiez-le sur votre accusé de réception (exemple : "
                "RQ-7K4M-2P9X)."
            ))
        return code

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class ComplementForm(forms.Form):
    """The citizen's answer to a request for more information or documents."""

    message = forms.CharField(
        label=_("Votre réponse"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Écrivez votre réponse au service.")},
    )
    files = MultipleFileField(
        label=_("Documents (facultatif)"), required=False,
        help_text=_("PDF, JPEG, PNG, ODT ou DOCX, 10 Mo au plus par fichier, 5 fichiers au plus."),
    )

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Écrivez votre réponse au service."))
        return message
