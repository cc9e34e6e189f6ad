"""Forms of the contact centre: the call log, starting a contact by hand, the journal's filters, the secret."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import User

from . import services
from .models import Contact


def _choice(label, choices, empty, invalid, required=False):
    field = forms.TypedChoiceField(label=label, coerce=int, required=required, empty_value=None,
                                   choices=[("", empty)] + list(choices))
    field.error_messages["invalid_choice"] = invalid
    return field


def _agent_name(agent):
    return agent.get_full_name() or agent.email


def request_label(service_request):
    title = service_request.version.title if service_request.version_id else ""
    state = _("brouillon") if service_request.is_draft else service_request.status_label()
    return f"{service_request.tracking_code} — {title} ({state})"


class ContactLogForm(forms.Form):
    """What the agent logs once the call or the visit is over."""

    reason = forms.CharField(label=_("Motif"), max_length=300, help_text=_(
        "En quelques mots : « horaires de la déchèterie », « suivi de la demande de passeport »…"))
    outcome = forms.ChoiceField(label=_("Issue"), choices=Contact.Outcome.choices, widget=forms.RadioSelect)
    duration = forms.CharField(label=_("Durée"), max_length=12, required=False, help_text=_(
        "Calculée du début à la fin du contact ; corrigez-la si besoin, en minutes (« 5 ») ou en minutes et "
        "secondes (« 4:30 »)."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, organisation, citizen_requests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.requests = {service_request.pk: service_request for service_request in citizen_requests}
        self.services = {service.pk: service for service in services.transfer_services(organisation)}
        self.agents = {agent.pk: agent for agent in services.transfer_agents(organisation)}
        self.fields["transferred_to_service"] = _choice(
            _("Transféré au service"), [(pk, service.name) for pk, service in self.services.items()],
            _("— Aucun service —"), _("Choisissez un service de la collectivité."))
        self.fields["transferred_to_agent"] = _choice(
            _("Transféré à l'agent"), [(pk, _agent_name(agent)) for pk, agent in self.agents.items()],
            _("— Aucun agent —"), _("Choisissez un agent de la collectivité."))
        request_choices = [(pk, request_label(service_request)) for pk, service_request in self.requests.items()]
        self.fields["created_request"] = _choice(
            _("Demande créée pendant le contact"), request_choices, _("— Aucune —"),
            _("Choisissez une demande de cet usager."))
        self.fields["created_request"].help_text = _(
            "Si l'issue est « Demande créée » : la demande saisie pour l'usager (la dernière créée est proposée).")
        self.fields["related_request"] = _choice(
            _("Demande concernée"), request_choices, _("— Aucune —"), _("Choisissez une demande de cet usager."))
        self.fields["related_request"].help_text = _(
            "Le contact porte sur une demande en cours : il apparaîtra dans son historique (visible des agents "
            "seulement).")
        self.fields["reason"].error_messages["required"] = _("Indiquez le motif du contact.")
        self.fields["outcome"].error_messages["required"] = _("Choisissez l'issue du contact.")
        self.fields["outcome"].error_messages["invalid_choice"] = _("Choisissez l'issue du contact.")
        self.order_fields(["reason", "outcome", "transferred_to_service", "transferred_to_agent", "created_request",
                           "related_request", "duration", "notes"])

    def clean_duration(self):
        text = self.cleaned_data.get("duration") or ""
        if not text.strip():
            return None
        try:
            return services.parse_duration(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        for name, objects in (("transferred_to_service", self.services), ("transferred_to_agent", self.agents),
                              ("created_request", self.requests), ("related_request", self.requests)):
            pk = data.get(name)
            data[name] = objects.get(pk) if pk is not None else None
        return data


class StartContactForm(forms.Form):
    """« Nouvel appel » / « Nouveau passage à l'accueil » (optionally for a known citizen or number)."""

    kind = forms.ChoiceField(choices=Contact.Kind.choices)
    citizen = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    caller = forms.CharField(label=_("Numéro de l'appelant (facultatif)"), required=False, max_length=40)


class SecretForm(forms.Form):
    label = forms.CharField(label=_("Libellé"), max_length=100, required=False, help_text=_(
        "Pour vous y retrouver : « Standard Centrex », « Essai »…"))


class JournalFilterForm(forms.Form):
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False, empty_value=None)
    outcome = forms.ChoiceField(label=_("Issue"), required=False,
                                choices=[("", _("Toutes")), ("pending", _("En cours"))] + Contact.Outcome.choices)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Tous"))] + Contact.Kind.choices)
    date_from = forms.DateField(label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        agents = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT).order_by(
            "last_name", "first_name", "pk")
        self.fields["agent"].choices = [("", _("Tous"))] + [(agent.pk, _agent_name(agent)) for agent in agents]
        for name in ("agent", "outcome", "kind"):
            self.fields[name].error_messages["invalid_choice"] = _("Choisissez une valeur de la liste.")
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = _("Indiquez une date valide, par exemple 15/03/2026.")

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            value = data.get(name)
            if value is not None and not 1900 <= value.year <= 2999:
                self.add_error(name, _("Indiquez une date entre 1900 et 2999."))
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("La date de fin précède la date de début."))
        return data

    def filter(self, contacts):
        import datetime

        from django.utils import timezone

        data = self.cleaned_data
        if data.get("agent"):
            contacts = contacts.filter(agent_id=data["agent"])
        if data.get("outcome") == "pending":
            contacts = contacts.filter(outcome="")
        elif data.get("outcome"):
            contacts = contacts.filter(outcome=data["outcome"])
        if data.get("kind"):
            contacts = contacts.filter(kind=data["kind"])
        zone = timezone.get_current_timezone()
        if data.get("date_from"):
            contacts = contacts.filter(started_at__gte=datetime.datetime.combine(
                data["date_from"], datetime.time.min, tzinfo=zone))
        if data.get("date_to"):
            contacts = contacts.filter(started_at__lt=datetime.datetime.combine(
                data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone))
        return contacts
