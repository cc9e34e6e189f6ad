"""Forms of the notification pages: the message-template editor, the test message, the delivery-log filters."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.accounts.validators import parse_french_phone

from .models import Channel, Delivery
from .rendering import FIELDS, check_texts


class MessageTemplateForm(forms.Form):
    """The four texts of one kind of message; a text the sandbox refuses is an error on its field."""

    subject = forms.CharField(
        label=_("Objet"), max_length=200,
        help_text=_("Objet du courriel et titre de la notification dans l'espace de la personne."),
    )
    body = forms.CharField(
        label=_("Texte du courriel et de la notification"), widget=forms.Textarea(attrs={"rows": 12}),
    )
    sms_text = forms.CharField(
        label=_("Texte du SMS"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Un SMS compte 160 caractères (70 si le texte contient des caractères hors alphabet GSM, "
                    "comme â, ê, œ ou les émojis) ; au-delà, il est envoyé en plusieurs parties."),
    )
    letter_text = forms.CharField(
        label=_("Texte du courrier"), widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Imprimé sur le papier à en-tête de la collectivité, sous l'adresse du destinataire."),
    )

    def __init__(self, *args, key, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key

    def clean(self):
        cleaned = super().clean()
        texts = {name: cleaned[name] for name in FIELDS if name in cleaned}
        if len(texts) == len(FIELDS):
            for name, problem in check_texts(self.key, texts).items():
                self.add_error(name, problem)
        return cleaned

    def texts(self):
        return {name: self.cleaned_data[name] for name in FIELDS}


class TestMessageForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Canal de l'essai"), choices=Channel.choices,
        help_text=_("S'il vous manque une adresse sur ce canal, l'essai part sur le suivant."),
    )


class DeliveryFilterForm(forms.Form):
    """Filters of the delivery log (a GET form); an invalid filter is reported and not applied."""

    q = forms.CharField(
        label=_("Rechercher (nom, adresse électronique, téléphone ou adresse)"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    channel = forms.ChoiceField(label=_("Canal"), required=False, choices=[("", _("Tous"))] + Channel.choices)
    status = forms.ChoiceField(
        label=_("État"), required=False, choices=[("", _("Tous"))] + Delivery.Status.choices,
    )
    since = forms.DateField(
        label=_("Mis en file à partir du"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Format : JJ/MM/AAAA."),
    )
    until = forms.DateField(
        label=_("Mis en file jusqu'au"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Format : JJ/MM/AAAA."),
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("La date de fin doit être postérieure ou égale à la date de début."))
        return cleaned

    def filter(self, deliveries):
        """`deliveries` narrowed by the valid filters (call after `is_valid()`)."""
        data = getattr(self, "cleaned_data", {})
        if data.get("channel"):
            deliveries = deliveries.filter(channel=data["channel"])
        if data.get("status"):
            deliveries = deliveries.filter(status=data["status"])
        if data.get("since"):
            deliveries = deliveries.filter(queued_at__date__gte=data["since"])
        if data.get("until"):
            deliveries = deliveries.filter(queued_at__date__lte=data["until"])
        search = data.get("q") or ""
        phone = parse_french_phone(search) if any(char.isdigit() for char in search) else None
        if phone is not None:  # "06 12 34 56 78" finds the SMS sent to +33612345678
            return deliveries.filter(address=phone.as_e164)
        for word in search.split():
            deliveries = deliveries.filter(
                Q(address__icontains=word)
                | Q(notification__recipient__first_name__icontains=word)
                | Q(notification__recipient__last_name__icontains=word)
                | Q(notification__recipient__email__icontains=word)
            )
        return deliveries

    @property
    def is_filtering(self):
        return any(getattr(self, "cleaned_data", {}).get(name) for name in self.fields)
