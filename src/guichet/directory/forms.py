"""Forms of the directory: an entry, the CSV file, the import's choice about unknown services."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.accounts.models import User
from guichet.agents.models import Service

from .imports import MAX_BYTES
from .models import DirectoryEntry
from .phones import parse_phone


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name} ({user.email})" if name else user.email


class EntryForm(forms.ModelForm):
    phone = forms.CharField(label=gettext_lazy("téléphone"), required=False, max_length=30,
                            help_text=gettext_lazy("Par exemple 03 83 00 20 10."))

    class Meta:
        model = DirectoryEntry
        fields = ["kind", "user", "service", "first_name", "last_name", "job_title", "missions", "building", "office",
                  "phone", "phone_extension", "email", "hours"]
        widgets = {"kind": forms.RadioSelect, "missions": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"user": AgentChoiceField}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        taken = DirectoryEntry.objects.of(organisation).filter(user__isnull=False)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        self.fields["user"].queryset = User.objects.filter(
            organisation=organisation, kind=User.Kind.AGENT, is_active=True
        ).exclude(pk__in=taken.values("user_id")).order_by("last_name", "first_name", "email")
        self.fields["user"].empty_label = _("— Pas de compte agent —")
        self.fields["user"].help_text = _(
            "Pour une personne qui a un compte agent : son nom, son courriel, sa fonction, son poste et ses services "
            "sont alors ceux de son compte.")
        services = Service.objects.of(organisation).filter(is_active=True)
        if self.instance.service_id:
            services = Service.objects.of(organisation).filter(Q(is_active=True) | Q(pk=self.instance.service_id))
        self.fields["service"].queryset = services
        self.fields["service"].empty_label = _("— Aucun service —")
        self.fields["service"].help_text = _("Obligatoire pour la fiche d'un service.")
        self.fields["email"].help_text = _("Laissez vide pour une personne liée à un compte agent.")
        if self.instance.phone:
            self.initial["phone"] = self.instance.phone.as_national

    def clean_phone(self):
        text = self.cleaned_data.get("phone", "").strip()
        if not text:
            return ""
        number = parse_phone(text)
        if number is None:
            raise forms.ValidationError(_("Indiquez un numéro de téléphone français valide, par exemple "
                                          "03 83 00 20 10."))
        return number

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        user, service, email = data.get("user"), data.get("service"), data.get("email")
        if kind == DirectoryEntry.Kind.SERVICE:
            if service is None:
                self.add_error("service", _("Choisissez le service de cette fiche."))
            elif DirectoryEntry.objects.of(self.organisation).filter(kind=kind, service=service).exclude(
                    pk=self.instance.pk).exists():
                self.add_error("service", _("Ce service a déjà sa fiche dans l'annuaire."))
            data["user"] = None
        elif kind == DirectoryEntry.Kind.PERSON:
            if user is None and not (data.get("last_name") or data.get("first_name")):
                self.add_error("last_name", _("Indiquez le nom de la personne, ou choisissez son compte agent."))
            if user is not None:
                data["email"] = email = ""
        if email and DirectoryEntry.objects.of(self.organisation).filter(
                Q(email__iexact=email) | Q(user__email__iexact=email)).exclude(pk=self.instance.pk).exists():
            self.add_error("email", _("Une autre fiche de l'annuaire porte déjà cette adresse électronique."))
        return data

    def _post_clean(self):
        # The cleaned values the model does not get from the form's own fields.
        super()._post_clean()
        if "user" in self.cleaned_data:
            self.instance.user = self.cleaned_data["user"]
        if "email" in self.cleaned_data:
            self.instance.email = self.cleaned_data["email"]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV"),
        help_text=gettext_lazy(
            "Première ligne : les noms des colonnes (nom, prénom, service, fonction, missions, bâtiment, bureau, "
            "téléphone, courriel, horaires, poste). Séparateur « ; » ou « , ». 1 Mo et 3 000 lignes au plus."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("Le fichier est trop gros : 1 Mo au plus. Découpez-le en plusieurs "
                                          "fichiers."))
        return upload


class ConfirmImportForm(forms.Form):
    CREATE, REFUSE = "create", "refuse"
    unknown_services = forms.ChoiceField(
        label=gettext_lazy("Services inconnus"), widget=forms.RadioSelect, initial=REFUSE,
        choices=[(CREATE, gettext_lazy("Créer ces services")),
                 (REFUSE, gettext_lazy("Ne pas les créer : laisser de côté les lignes qui les nomment"))],
    )

    def __init__(self, *args, unknown=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not unknown:
            self.fields["unknown_services"].required = False
            self.fields["unknown_services"].widget = forms.HiddenInput()
