"""The administrators' form of an API client (creation and edition: never the secret)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.agents.models import Service

from .models import MAX_RATE_LIMIT, MIN_RATE_LIMIT, Scope


class ServicesField(forms.ModelMultipleChoiceField):
    """Identifiers that are not integers of the database's range are refused before any query (never a 500)."""

    def _check_values(self, value):
        for pk in value:
            if not str(pk).isdigit() or not 0 < int(pk) < 2**63:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                            params={"value": pk})
        return super()._check_values(value)


def scope_choices():
    return [(scope.value, f"{scope.label} ({scope.value})") for scope in Scope]


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=_("Nom"), max_length=120,
        help_text=_("Le logiciel ou l'application qui appellera l'API : « Logiciel d'état civil », « Appli mobile »…"),
        error_messages={"required": _("Indiquez le nom du client."),
                        "max_length": _("Le nom ne peut dépasser 120 caractères.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Qui l'utilise, pour quoi, qui contacter en cas de problème."),
        error_messages={"max_length": _("La description ne peut dépasser 2 000 caractères.")},
    )
    scopes = forms.MultipleChoiceField(
        label=_("Permissions"), choices=scope_choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("Ne cochez que ce dont le client a besoin. La lecture du catalogue et des services est "
                    "ouverte à tout client."),
        error_messages={"required": _("Cochez au moins une permission."),
                        "invalid_choice": _("Choisissez des permissions de la liste.")},
    )
    services = ServicesField(
        label=_("Services"), queryset=Service.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Le client ne voit et ne traite que les demandes de ces services ; aucun choisi : tous les "
                    "services de la collectivité (Ctrl ou Cmd pour en choisir plusieurs)."),
        error_messages={"invalid_choice": _("Choisissez des services de la collectivité."),
                        "invalid_pk_value": _("Choisissez des services de la collectivité.")},
    )
    rate_limit = forms.IntegerField(
        label=_("Appels par minute"), initial=120, min_value=MIN_RATE_LIMIT, max_value=MAX_RATE_LIMIT,
        help_text=_("Au-delà, l'API répond « 429 Trop de requêtes » jusqu'à la minute suivante (de 1 à 10 000)."),
        error_messages={
            "required": _("Indiquez le nombre d'appels permis par minute."),
            "invalid": _("Indiquez un nombre entier d'appels par minute, de 1 à 10 000."),
            "min_value": _("Indiquez un nombre entier d'appels par minute, de 1 à 10 000."),
            "max_value": _("Indiquez un nombre entier d'appels par minute, de 1 à 10 000."),
        },
    )

    def __init__(self, *args, organisation, client=None, **kwargs):
        if client is not None:
            kwargs.setdefault("initial", {
                "name": client.name, "description": client.description, "scopes": client.scopes,
                "services": [service.pk for service in client.services.all()], "rate_limit": client.rate_limit,
            })
        super().__init__(*args, **kwargs)
        # The collectivité's active services, and those the client already has (even if closed since).
        shown = Q(is_active=True)
        if client is not None:
            shown |= Q(pk__in=client.services.values("pk"))
        self.fields["services"].queryset = Service.objects.of(organisation).filter(shown).order_by("name")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Indiquez le nom du client."))
        return name
