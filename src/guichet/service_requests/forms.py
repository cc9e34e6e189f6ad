"""Forms of the citizens' pages of requests (the procedure's own form is built by guichet.formdefs)."""

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.services import format_phone

from .codes import normalise_tracking_code
from .messaging import MAX_MESSAGE_LENGTH
from .withdrawal import MAX_REASON_LENGTH


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


def new_form_token():
    import uuid

    return uuid.uuid4().hex


class MessageForm(forms.Form):
    """A message to the service (citizen) or to the citizen (agent), with optional files.

    `token` makes a second post of the same form (double click, replayed POST) a no-op (see messaging)."""

    message = forms.CharField(
        label=_("Votre message au service"), required=False, max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"max_length": _("Le message est trop long : %(limit_value)d caractères au plus (il en compte "
                                        "%(show_value)d).")},
    )
    files = MultipleFileField(
        label=_("Documents (facultatif)"), required=False,
        help_text=_("PDF, JPEG, PNG, ODT ou DOCX, 10 Mo au plus par fichier, 5 fichiers au plus."),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def __init__(self, *args, message_label=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", new_form_token())
        super().__init__(*args, **kwargs)
        if message_label:
            self.fields["message"].label = message_label

    def clean_message(self):
        return self.cleaned_data["message"].strip()

    def clean(self):
        cleaned = super().clean()
        if "message" in cleaned and not cleaned.get("message") and not cleaned.get("files"):
            self.add_error("message", _("Écrivez un message ou joignez un fichier."))
        return cleaned


class WithdrawForm(forms.Form):
    """The citizen confirms the withdrawal of their request, with an optional reason."""

    reason = forms.CharField(
        label=_("Motif (facultatif)"), required=False, max_length=MAX_REASON_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Par exemple : « Le problème est réglé » ou « Je n'en ai plus besoin ». Le service le lira."),
        error_messages={"max_length": _("Le motif est trop long : %(limit_value)d caractères au plus (il en compte "
                                        "%(show_value)d).")},
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class MyRequestsFilterForm(forms.Form):
    """« Mes demandes »: requests in progress or closed, and the household member they are about."""

    STATES = (("", _("Toutes")), ("en-cours", _("En cours")), ("closes", _("Closes ou retirées")))

    etat = forms.ChoiceField(label=_("État des demandes"), choices=STATES, required=False,
                             error_messages={"invalid_choice": _("Choisissez un état dans la liste.")})
    pour = forms.ChoiceField(label=_("Concernant"), required=False,
                             error_messages={"invalid_choice": _("Choisissez une personne de votre foyer dans la liste.")})

    def __init__(self, data=None, *, members=()):
        super().__init__(data)
        self.members = {str(member.pk): f"{member.first_name} {member.last_name}".strip() for member in members}
        self.fields["pour"].choices = [("", _("Tout le foyer"))] + list(self.members.items())

    def member_name(self):
        return self.members.get(self.cleaned_data.get("pour") or "", "")
