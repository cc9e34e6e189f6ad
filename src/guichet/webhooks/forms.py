"""Forms of the webhooks' administration pages: a subscription, the delivery log's filters."""

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from guichet.procedures.models import Procedure

from .models import EVENT_LABELS, Delivery, Event, Subscription

ALL, SOME = "all", "some"


class CheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes whose field id is the first box's, so that the error summary's link reaches the group."""

    def id_for_label(self, id_, index=None):
        if index is None and id_:
            return f"{id_}_0"
        return super().id_for_label(id_, index)


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=120, help_text=_(
        "Pour vous y retrouver : « Logiciel d'état civil », « Application mobile »…"))
    url = forms.CharField(label=_("Adresse (URL) qui reçoit les événements"), max_length=500, help_text=_(
        "Adresse complète en http:// ou https:// ; les événements y sont envoyés en POST, au format JSON."),
        widget=forms.URLInput)
    events = forms.MultipleChoiceField(label=_("Événements"), choices=Event.choices,
                                       widget=CheckboxList)
    scope = forms.ChoiceField(label=_("Démarches concernées"), widget=forms.RadioSelect, initial=ALL, choices=[
        (ALL, _("Toutes les démarches de la collectivité (y compris celles créées plus tard)")),
        (SOME, _("Seulement les démarches choisies ci-dessous")),
    ])
    procedures = forms.ModelMultipleChoiceField(
        label=_("Démarches choisies"), queryset=Procedure.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."))
    is_active = forms.BooleanField(label=_("Actif (les événements sont envoyés)"), required=False, initial=True)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Donnez un nom à cet abonnement.")
        self.fields["url"].error_messages["required"] = _("Indiquez l'adresse qui reçoit les événements.")
        self.fields["events"].error_messages.update({
            "required": _("Choisissez au moins un événement."),
            "invalid_choice": _("Choisissez parmi les événements proposés."),
        })
        self.fields["scope"].error_messages["invalid_choice"] = _("Choisissez toutes les démarches ou certaines.")
        procedures = self.fields["procedures"]
        procedures.queryset = Procedure.objects.of(organisation).order_by("title", "pk")
        procedures.error_messages.update({
            "invalid_choice": _("Choisissez parmi les démarches de la collectivité."),
            "invalid_pk_value": _("Choisissez parmi les démarches de la collectivité."),
            "invalid_list": _("Choisissez parmi les démarches de la collectivité."),
        })

    @classmethod
    def initial_for(cls, subscription):
        return {
            "name": subscription.name, "url": subscription.url, "events": subscription.events,
            "scope": ALL if subscription.all_procedures else SOME,
            "procedures": list(subscription.procedures.all()), "is_active": subscription.is_active,
        }

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            URLValidator(schemes=["http", "https"])(url)
        except forms.ValidationError:
            raise forms.ValidationError(_(
                "Saisissez une adresse complète commençant par http:// ou https:// (par exemple "
                "https://logiciel.example.fr/guichet/evenements).")) from None
        return url

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == SOME and "procedures" not in self.errors and not cleaned.get("procedures"):
            self.add_error("procedures", _("Choisissez au moins une démarche, ou « Toutes les démarches »."))
        return cleaned

    def service_arguments(self):
        data = self.cleaned_data
        return {
            "name": data["name"], "url": data["url"], "events": data["events"],
            "procedures": list(data["procedures"]) if data["scope"] == SOME else None,
            "is_active": data["is_active"],
        }


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("État"), required=False,
                               choices=[("", _("Tous les états"))] + list(Delivery.Status.choices))
    event = forms.ChoiceField(label=_("Événement"), required=False,
                              choices=[("", _("Tous les événements"))] + list(EVENT_LABELS.items()))
    subscription = forms.TypedChoiceField(label=_("Abonnement"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].choices = [("", _("Tous les abonnements"))] + list(
            Subscription.objects.of(organisation).values_list("pk", "name"))
        self.fields["status"].error_messages["invalid_choice"] = _("Choisissez un état de la liste.")
        self.fields["event"].error_messages["invalid_choice"] = _("Choisissez un événement de la liste.")
        self.fields["subscription"].error_messages["invalid_choice"] = _("Choisissez un abonnement de la liste.")

    def filter(self, deliveries):
        if not self.is_valid():
            return deliveries
        data = self.cleaned_data
        if data.get("status"):
            deliveries = deliveries.filter(status=data["status"])
        if data.get("event"):
            deliveries = deliveries.filter(event_type=data["event"])
        if data.get("subscription"):
            deliveries = deliveries.filter(subscription_id=data["subscription"])
        return deliveries
