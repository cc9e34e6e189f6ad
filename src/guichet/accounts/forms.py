"""Forms of the citizen's account: sign-up, sign-in, profile, password reset, deletion."""

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from . import services
from .models import User
from .validators import parse_french_phone, validate_french_phone

CIVILITY_CHOICES = [("", _("Non précisée")), *User.Civility.choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ContactDetailsMixin:
    """Phone in French format, and a preferred channel that the details given make possible."""

    def _init_contact_fields(self):
        self.fields["civility"] = forms.ChoiceField(
            label=_("Civilité"), choices=CIVILITY_CHOICES, required=False, widget=forms.RadioSelect,
        )
        self.fields["phone"] = forms.CharField(
            label=_("Téléphone"), required=False, max_length=30,
            help_text=_("Un numéro français, par exemple 06 12 34 56 78."),
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        )
        if self.instance.phone:
            self.initial["phone"] = services.format_phone(self.instance.phone)
        self.fields["preferred_channel"].widget = forms.RadioSelect(choices=User.Channel.choices)
        self.fields["preferred_channel"].help_text = _(
            "Le SMS demande un numéro de téléphone, le courrier postal une adresse complète."
        )
        for name, autocomplete in (
            ("first_name", "given-name"), ("last_name", "family-name"), ("email", "email"),
            ("address_line", "address-line1"), ("address_complement", "address-line2"),
            ("postcode", "postal-code"), ("city", "address-level2"),
        ):
            if name in self.fields:
                self.fields[name].widget.attrs["autocomplete"] = autocomplete
        if "postcode" in self.fields:
            self.fields["postcode"].widget.attrs["inputmode"] = "numeric"
            self.fields["postcode"].help_text = _("5 chiffres, par exemple 54000.")
        for name in ("first_name", "last_name"):
            self.fields[name].required = True

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        if not value:
            return ""
        validate_french_phone(value)
        return parse_french_phone(value)

    def clean_email(self):
        return services.normalise_email(self.cleaned_data.get("email"))

    def clean(self):
        cleaned = super().clean()
        channel = cleaned.get("preferred_channel")
        if channel and "phone" not in self.errors and "postcode" not in self.errors:
            problem = services.channel_problem(
                channel, phone=cleaned.get("phone"), address_line=cleaned.get("address_line"),
                postcode=cleaned.get("postcode"), city=cleaned.get("city"),
            )
            if problem:
                self.add_error("preferred_channel", problem)
        return cleaned


class SignupForm(ContactDetailsMixin, forms.ModelForm):
    """Creates nothing by itself: the view hands the cleaned data to `services.register_citizen`.

    The consent box is required to submit the form; the date the account was created
    (`date_joined`) records when it was given.
    """

    password1 = forms.CharField(
        label=_("Mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Au moins 10 caractères, pas uniquement des chiffres, ni trop courant, "
            "ni trop proche de votre nom ou de votre adresse électronique."
        ),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Saisissez le même mot de passe une seconde fois."),
    )
    consent = forms.BooleanField(label=_("J'accepte le traitement de mes données personnelles"))

    class Meta:
        model = User
        fields = [
            "civility", "first_name", "last_name", "email", "password1", "password2", "phone",
            "address_line", "address_complement", "postcode", "city", "preferred_channel", "consent",
        ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.instance.kind = User.Kind.CITIZEN
        self._init_contact_fields()
        self.order_fields(self.Meta.fields)
        self.fields["consent"].help_text = _(
            "%(name)s traite vos données pour gérer votre compte et vos démarches ; vous pouvez les consulter, "
            "les corriger et supprimer votre compte à tout moment depuis « Mon compte »."
        ) % {"name": organisation.name}

    def clean_email(self):
        email = super().clean_email()
        if email and services.email_taken(self.organisation, email):
            raise forms.ValidationError(services.DUPLICATE_EMAIL_MESSAGE, code="duplicate")
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        elif password1:
            candidate = User(
                email=cleaned.get("email") or "", first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "", organisation=self.organisation,
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def account_fields(self):
        """The cleaned data that goes on the User row."""
        return {
            name: self.cleaned_data[name] for name in self.Meta.fields
            if name not in ("password1", "password2", "consent")
        }


class ProfileForm(ContactDetailsMixin, forms.ModelForm):
    """Edits the citizen's own details. A new e-mail address is NOT saved here (see views.profile_edit)."""

    class Meta:
        model = User
        fields = [
            "civility", "first_name", "last_name", "birth_date", "email", "phone",
            "address_line", "address_complement", "postcode", "city", "preferred_channel",
        ]
        widgets = {"birth_date": DateInput(attrs={"autocomplete": "bday"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_email = self.instance.email
        self._init_contact_fields()
        self.order_fields(self.Meta.fields)
        self.fields["email"].help_text = _(
            "Si vous la changez, un lien de confirmation est envoyé à la nouvelle adresse ; "
            "l'ancienne reste utilisée jusqu'à la confirmation."
        )

    def clean_email(self):
        email = super().clean_email()
        if email and email != self.current_email and services.email_taken(
            self.instance.organisation, email, exclude=self.instance
        ):
            raise forms.ValidationError(services.DUPLICATE_EMAIL_MESSAGE, code="duplicate")
        return email

    @property
    def new_email(self):
        """The address the citizen asked for, when it differs from the current one."""
        email = self.cleaned_data.get("email")
        return email if email and email != self.current_email else None

    def _post_clean(self):
        super()._post_clean()
        # Keep the confirmed address on the row until the new one is confirmed.
        self.instance.email = self.current_email


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Mot de passe"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": _("Adresse électronique ou mot de passe incorrect."),
        "unconfirmed": _("Votre adresse électronique n'est pas encore confirmée : suivez le lien reçu par courriel."),
    }

    def __init__(self, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None
        self.unconfirmed = False

    def clean(self):
        email, password = self.cleaned_data.get("email"), self.cleaned_data.get("password")
        if email and password:
            user = authenticate(self.request, email=email, password=password, kind=User.Kind.CITIZEN)
            if user is None:
                raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            if not user.email_confirmed:
                self.unconfirmed = True
                raise forms.ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")
            self.user = user
        return self.cleaned_data


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Adresse électronique"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class OrganisationPasswordResetForm(PasswordResetForm):
    """Django's reset form, looking for accounts of the request's collectivité only."""

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["email"].label = _("Adresse électronique")

    def get_users(self, email):
        users = User.objects.filter(
            organisation=self.organisation, email__iexact=services.normalise_email(email), is_active=True
        ).exclude(organisation__isnull=True)
        return (user for user in users if user.has_usable_password())


class DeleteAccountForm(forms.Form):
    """Asks the password; an account without a password (created through an identity provider) ticks a box."""

    password = forms.CharField(
        label=_("Votre mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("Je confirme vouloir supprimer mon compte et mes données personnelles"),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            del self.fields["confirm"]
        else:
            del self.fields["password"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Mot de passe incorrect."), code="password_incorrect")
        return password

