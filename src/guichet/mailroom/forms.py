"""Forms of the mail room's core pages: the queue's filters and the agent's actions on one message.

Each action form carries the message's `lock_version` (hidden) and has its own prefix, so that the several forms
of the detail page never share an id."""

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import User
from guichet.agents.models import Service

from .models import IncomingMail
from .services import MAX_ANSWER_LENGTH, MAX_NOTE_LENGTH, published_versions

ALL = "all"
ME, NOBODY = "me", "nobody"


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("État"), required=False)
    channel = forms.ChoiceField(label=_("Canal"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    assigned = forms.ChoiceField(label=_("Agent en charge"), required=False)
    q = forms.CharField(
        label=_("Rechercher"), required=False, max_length=200, strip=True,
        help_text=_("Numéro d'enregistrement, expéditeur, ou des mots de l'objet, du texte ou du texte extrait."),
        widget=forms.TextInput(attrs={"type": "search"}),
        error_messages={"max_length": _("La recherche est trop longue : %(limit_value)d caractères au plus.")},
    )

    def __init__(self, data, *, organisation):
        super().__init__(data)
        self.fields["state"].choices = [("", _("À qualifier (par défaut)")), (ALL, _("Tous les états"))] + [
            (value, label) for value, label in IncomingMail.State.choices if value != IncomingMail.State.TO_QUALIFY
        ]
        self.fields["channel"].choices = [("", _("Tous les canaux"))] + list(IncomingMail.Channel.choices)
        self.services = list(Service.objects.of(organisation).filter(is_active=True).order_by("name"))
        self.fields["service"].choices = [("", _("Tous les services"))] + [
            (str(service.pk), service.name) for service in self.services
        ]
        self.agents = list(
            User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_active=True)
            .order_by("last_name", "first_name", "pk").only("pk", "first_name", "last_name", "email")
        )
        self.fields["assigned"].choices = [("", _("Tous")), (ME, _("Moi")), (NOBODY, _("Personne"))] + [
            (str(agent.pk), agent.get_full_name() or agent.email) for agent in self.agents
        ]

    def states(self):
        value = self.cleaned_data.get("state") or IncomingMail.State.TO_QUALIFY
        return None if value == ALL else [value]

    def querystring(self):
        """The filters as a query string (without the page), for the pagination links."""
        values = {name: self.cleaned_data.get(name) for name in self.fields if self.cleaned_data.get(name)}
        return urlencode(values)


class LockedForm(forms.Form):
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class SenderAddressFields(forms.Form):
    """The sender's name and address, asked only for a message without account nor e-mail (a letter from someone
    unknown): a minimal citizen record is made with them."""

    first_name = forms.CharField(label=_("Prénom de l'expéditeur"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Nom de l'expéditeur"), required=False, max_length=150)
    address_line = forms.CharField(label=_("Adresse (numéro et voie)"), required=False, max_length=250)
    postcode = forms.CharField(label=_("Code postal"), required=False, max_length=5,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                               error_messages={"max_length": _("Le code postal compte cinq chiffres.")})
    city = forms.CharField(label=_("Commune"), required=False, max_length=150)

    ADDRESS_FIELDS = ("first_name", "last_name", "address_line", "postcode", "city")

    def _keep_address(self, needs_address):
        self.needs_address = needs_address
        if not needs_address:
            for name in self.ADDRESS_FIELDS:
                del self.fields[name]

    def postal_address(self):
        if not self.needs_address:
            return None
        return {name: self.cleaned_data.get(name, "") for name in self.ADDRESS_FIELDS}


class CreateRequestForm(SenderAddressFields, LockedForm):
    version = forms.ChoiceField(
        label=_("Démarche"),
        help_text=_("Toutes les démarches publiées, y compris celles réservées aux agents. Les réponses sont "
                    "pré-remplies avec le message ; vous compléterez ensuite la demande avant de l'envoyer."),
        error_messages={"required": _("Choisissez la démarche de la demande."),
                        "invalid_choice": _("Choisissez une démarche publiée de la liste.")},
    )

    field_order = ["version", "lock_version"]

    def __init__(self, *args, organisation, needs_address=False, **kwargs):
        super().__init__(*args, prefix="creer", **kwargs)
        self._keep_address(needs_address)
        self.versions = {str(version.pk): version for version in published_versions(organisation)}
        self.fields["version"].choices = [("", _("Choisissez une démarche"))] + [
            (pk, version.title) for pk, version in self.versions.items()
        ]

    def clean_version(self):
        return self.versions[self.cleaned_data["version"]]


class AttachForm(LockedForm):
    code = forms.CharField(
        label=_("Numéro de suivi de la demande"), max_length=40, strip=True,
        help_text=_("Par exemple RQ-7K4M-2P9X (espaces, tirets et minuscules acceptés)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Saisissez le numéro de suivi de la demande."),
                        "max_length": _("Ce numéro de suivi est trop long.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="ajouter", **kwargs)


class AnswerForm(SenderAddressFields, LockedForm):
    text = forms.CharField(
        label=_("Réponse"), max_length=MAX_ANSWER_LENGTH, widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Écrivez la réponse à envoyer."),
                        "max_length": _("La réponse est trop longue : %(limit_value)d caractères au plus.")},
    )

    field_order = ["text", "lock_version"]

    def __init__(self, *args, needs_address=False, **kwargs):
        super().__init__(*args, prefix="repondre", **kwargs)
        self._keep_address(needs_address)


class FileForm(LockedForm):
    note = forms.CharField(
        label=_("Note de classement"), max_length=MAX_NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Pourquoi ce message est classé, qui en a été informé."),
        error_messages={"required": _("Écrivez une note de classement."),
                        "max_length": _("La note est trop longue : %(limit_value)d caractères au plus.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="classer", **kwargs)


class AssignForm(LockedForm):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(), required=False,
                                     empty_label=_("Aucun service"),
                                     error_messages={"invalid_choice": _("Choisissez un service de la liste.")})
    assigned_to = forms.ModelChoiceField(label=_("Agent en charge"), queryset=User.objects.none(), required=False,
                                         empty_label=_("Personne"),
                                         error_messages={"invalid_choice": _("Choisissez un agent de la liste.")})

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, prefix="attribuer", **kwargs)
        self.fields["service"].queryset = Service.objects.of(organisation).filter(is_active=True).order_by("name")
        self.fields["assigned_to"].queryset = User.objects.filter(
            organisation=organisation, kind=User.Kind.AGENT, is_active=True).order_by("last_name", "first_name")
        self.fields["assigned_to"].label_from_instance = lambda agent: agent.get_full_name() or agent.email
