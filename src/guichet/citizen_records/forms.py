"""Forms of the citizen records: look-up, minimal record, starting a request on a citizen's behalf."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts import services as account_services
from guichet.accounts.forms import CIVILITY_CHOICES, ContactDetailsMixin
from guichet.accounts.models import User
from guichet.accounts.validators import parse_french_phone, validate_birth_date
from guichet.service_requests.codes import normalise_tracking_code

from .services import ON_BEHALF_CHANNELS

DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]
DATE_MESSAGE = _("Indiquez la date de naissance sous la forme JJ/MM/AAAA, par exemple 14/07/1985.")


class FrenchDateField(forms.DateField):
    """A date typed JJ/MM/AAAA (a text field: the agent types it as the citizen says it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_FORMATS)
        kwargs.setdefault("error_messages", {"invalid": DATE_MESSAGE})
        kwargs.setdefault("help_text", _("JJ/MM/AAAA, par exemple 14/07/1985."))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "JJ/MM/AAAA",
                                                          "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except (OverflowError, ValueError) as error:
            raise forms.ValidationError(DATE_MESSAGE, code="invalid") from error


class SearchForm(forms.Form):
    """Every field is optional; at least one must be filled. The filled ones are combined (AND)."""

    nom = forms.CharField(label=_("Nom ou prénom"), required=False, max_length=150,
                          help_text=_("Le début du nom et/ou du prénom, par exemple « mar cam »."))
    naissance = FrenchDateField(label=_("Date de naissance"), required=False)
    telephone = forms.CharField(label=_("Téléphone"), required=False, max_length=30,
                                widget=forms.TextInput(attrs={"type": "tel"}),
                                help_text=_("Par exemple 06 12 34 56 78."))
    courriel = forms.CharField(label=_("Adresse électronique"), required=False, max_length=254,
                               widget=forms.TextInput(attrs={"type": "email"}))
    adresse = forms.CharField(label=_("Adresse"), required=False, max_length=250,
                              help_text=_("Une partie de l'adresse, du code postal ou de la commune."))
    code = forms.CharField(label=_("Numéro de suivi d'une demande"), required=False, max_length=20,
                           help_text=_("Par exemple RQ-ABCD-EFGH."))

    FIELDS = ("nom", "naissance", "telephone", "courriel", "adresse", "code")

    def clean_nom(self):
        value = " ".join(self.cleaned_data["nom"].split())
        if value and len(value.replace(" ", "")) < 2:
            raise forms.ValidationError(_("Tapez au moins deux lettres du nom."), code="short")
        return value

    def clean_telephone(self):
        value = self.cleaned_data["telephone"].strip()
        if not value:
            return ""
        number = parse_french_phone(value)
        if number is None:
            raise forms.ValidationError(
                _("Ce numéro n'est pas un numéro français valide : tapez-le par exemple 06 12 34 56 78."),
                code="invalid_phone")
        return number.as_e164

    def clean_courriel(self):
        value = self.cleaned_data["courriel"].strip().lower()
        if value and "@" not in value:
            raise forms.ValidationError(_("Tapez l'adresse électronique entière, par exemple nom@example.org."),
                                        code="invalid_email")
        return value

    def clean_adresse(self):
        value = " ".join(self.cleaned_data["adresse"].split())
        if value and len(value) < 3:
            raise forms.ValidationError(_("Tapez au moins trois caractères de l'adresse."), code="short")
        return value

    def clean_code(self):
        value = self.cleaned_data["code"].strip()
        if not value:
            return ""
        code = normalise_tracking_code(value)
        if code is None:
            raise forms.ValidationError(
                _("Ce numéro de suivi n'est pas valide : vérifiez-le (il ressemble à RQ-ABCD-EFGH)."), code="invalid")
        return code

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(cleaned.get(name) for name in self.FIELDS):
            raise forms.ValidationError(_("Remplissez au moins un critère de recherche."), code="empty")
        return cleaned

    def criteria(self):
        return {name: self.cleaned_data[name] for name in self.FIELDS if self.cleaned_data.get(name)}


class CitizenForm(ContactDetailsMixin, forms.ModelForm):
    """The minimal record an agent creates: a name, and what the citizen wants to give."""

    email = forms.EmailField(label=_("Adresse électronique"), required=False,
                             help_text=_("Facultative : sans adresse, l'usager est contacté par SMS ou courrier."))
    birth_date = FrenchDateField(label=_("Date de naissance"), required=False, validators=[validate_birth_date])
    confirm_duplicate = forms.BooleanField(
        label=_("J'ai vérifié : il s'agit d'une autre personne, créer quand même la fiche"), required=False)

    class Meta:
        model = User
        fields = ["civility", "first_name", "last_name", "birth_date", "email", "phone", "address_line",
                  "address_complement", "postcode", "city", "preferred_channel"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.instance.kind = User.Kind.CITIZEN
        self._init_contact_fields()
        self.fields["civility"].choices = CIVILITY_CHOICES
        self.fields["first_name"].required = False  # the name is enough; the first name when known
        self.fields["postcode"].required = False
        self.fields["preferred_channel"].help_text = _(
            "Sans adresse électronique, l'usager est contacté par SMS s'il a un téléphone, sinon par courrier "
            "postal. Le SMS demande un numéro de téléphone, le courrier une adresse complète.")
        self.order_fields(self.Meta.fields + ["confirm_duplicate"])

    def clean_email(self):
        email = account_services.normalise_email(self.cleaned_data.get("email"))
        if email and account_services.email_taken(self.organisation, email):
            raise forms.ValidationError(
                _("Une fiche ou un compte existe déjà avec cette adresse électronique : cherchez-le plutôt."),
                code="duplicate")
        return email

    def clean_postcode(self):
        value = (self.cleaned_data.get("postcode") or "").strip()
        if value:
            from guichet.accounts.validators import validate_postcode

            validate_postcode(value)
        return value

    def account_fields(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


class StartForm(forms.Form):
    """The procedure and the channel of a request entered on someone's behalf."""

    procedure = forms.TypedChoiceField(label=_("Démarche"), coerce=int, widget=forms.RadioSelect,
                                       error_messages={"required": _("Choisissez la démarche."),
                                                       "invalid_choice": _("Choisissez une démarche de la liste.")})
    canal = forms.ChoiceField(label=_("Canal"), widget=forms.RadioSelect,
                              error_messages={"required": _("Choisissez le canal."),
                                              "invalid_choice": _("Choisissez un canal de la liste.")})

    def __init__(self, *args, procedures, **kwargs):
        super().__init__(*args, **kwargs)
        from guichet.service_requests.models import ServiceRequest

        labels = dict(ServiceRequest.Channel.choices)
        self.fields["canal"].choices = [(value, labels[value]) for value in ON_BEHALF_CHANNELS]
        self.fields["procedure"].choices = [(p.pk, p.title) for p in procedures]


class ContactStartForm(StartForm):
    """Someone without a record: their contact details only (the request's contact, no account)."""

    contact_name = forms.CharField(label=_("Nom et prénom"), max_length=200)
    contact_email = forms.EmailField(
        label=_("Adresse électronique"), help_text=_(
            "L'accusé de réception et les réponses lui sont envoyés à cette adresse. Sans adresse électronique, "
            "créez plutôt une fiche usager."))
    contact_phone = forms.CharField(label=_("Téléphone"), required=False, max_length=30,
                                    widget=forms.TextInput(attrs={"type": "tel"}))

    def clean_contact_phone(self):
        value = self.cleaned_data["contact_phone"].strip()
        if value and parse_french_phone(value) is None:
            raise forms.ValidationError(_("Indiquez un numéro de téléphone français valide, par exemple 06 12 34 56 78."),
                                        code="invalid_phone")
        return value


class TakeOverForm(forms.Form):
    canal = forms.ChoiceField(label=_("Canal"), error_messages={
        "required": _("Choisissez le canal."), "invalid_choice": _("Choisissez un canal de la liste.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guichet.service_requests.models import ServiceRequest

        labels = dict(ServiceRequest.Channel.choices)
        self.fields["canal"].choices = [(value, labels[value]) for value in ON_BEHALF_CHANNELS]

