"""Forms of the procedure pages: settings, import, and the form builder (pages, fields, conditions)."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.agents.models import Service
from guichet.formdefs.schema import FILE_KINDS, FORMAT_LABELS, MAX_FILES, RELATIONSHIPS
from guichet.workflows.models import Workflow

from . import builder
from .models import Procedure

MAX_IMPORT_BYTES = 2 * 1024 * 1024
FILE_KIND_LABELS = {"pdf": "PDF", "jpeg": gettext_lazy("Image JPEG"), "png": gettext_lazy("Image PNG"),
                    "odt": gettext_lazy("Texte OpenDocument (.odt)"), "docx": gettext_lazy("Document Word (.docx)")}
RELATIONSHIP_LABELS = {"spouse": gettext_lazy("Conjoint"), "child": gettext_lazy("Enfant"),
                       "adult": gettext_lazy("Autre adulte")}


class ProcedureSettingsForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = [
            "title", "slug", "theme", "short_description", "documents_needed", "who_may_submit", "service",
            "deadline_amount", "deadline_unit", "silence_means", "keywords", "workflow", "open311",
            "inform_member_commune",
        ]
        widgets = {
            "short_description": forms.Textarea(attrs={"rows": 3}),
            "documents_needed": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["service"].queryset = Service.objects.of(organisation).filter(is_active=True)
        self.fields["service"].empty_label = _("— Aucun service choisi —")
        self.fields["workflow"].queryset = Workflow.objects.of(organisation)
        self.fields["workflow"].empty_label = _("— Aucun circuit choisi —")
        self.fields["workflow"].help_text = _(
            "Les étapes de traitement des demandes. Un circuit peut servir à plusieurs démarches."
        )
        self.fields["deadline_amount"].min_value = 0
        self.fields["deadline_amount"].widget.attrs["max"] = 3650
        self.fields["short_description"].max_length = 1000
        self.fields["open311"].help_text = _(
            "Les demandes de cette démarche (lieu, statut, dates ; jamais le demandeur) sont publiées sur "
            "/open311/v2/ et les applications de signalement (FixMyStreet…) peuvent en déposer."
        )
        if not organisation.is_intercommunal:
            del self.fields["inform_member_commune"]  # only an intercommunal body has member communes

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        others = Procedure.objects.of(self.organisation).filter(slug=slug)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Une démarche de votre collectivité porte déjà cet identifiant."))
        return slug

    def clean_deadline_amount(self):
        amount = self.cleaned_data.get("deadline_amount")
        if amount is not None and amount > 3650:
            raise forms.ValidationError(_("Le délai ne peut dépasser 3650 jours (dix ans)."))
        return amount or None

    def save(self, commit=True):
        procedure = super().save(commit=False)
        procedure.organisation = self.organisation
        if commit:
            procedure.save()
        return procedure


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier de la démarche (JSON)"),
        help_text=gettext_lazy("Un fichier exporté depuis Guichet, au format guichet-procedure/1 (2 Mo au plus)."),
    )
    slug = forms.SlugField(
        label=gettext_lazy("Nouvel identifiant (facultatif)"), required=False, max_length=80,
        help_text=gettext_lazy("Si votre collectivité a déjà une démarche avec l'identifiant du fichier."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 2 Mo : ce n'est pas un export de démarche."))
        return upload


class CatalogueImportForm(forms.Form):
    key = forms.SlugField(widget=forms.HiddenInput)
    publish = forms.BooleanField(label=gettext_lazy("Publier tout de suite"), required=False)


# --- form builder --------------------------------------------------------------------------------------------------


class ConditionMixin:
    """Adds the structured condition editor: a mode (all/any) and rows of field / operator / value."""

    def add_condition_fields(self, defn, condition, exclude_ids=()):
        self.condition_choices = builder.condition_fields(defn, exclude=exclude_ids)
        mode, rows, representable = builder.condition_to_rows(condition)
        self.condition_unrepresentable = not representable
        self.condition_row_count = max(builder.CONDITION_ROWS, len(rows) + 1)
        self.fields["cond_mode"] = forms.ChoiceField(
            label=_("Afficher lorsque"), choices=[("all", _("toutes les conditions sont remplies")),
                                                  ("any", _("au moins une condition est remplie"))],
            widget=forms.RadioSelect, initial=mode, required=False,
        )
        field_choices = [("", _("— Pas de condition —"))] + self.condition_choices
        operator_choices = [("", "—")] + [(op, label) for op, label in builder.OPERATOR_LABELS.items()]
        for index in range(1, self.condition_row_count + 1):
            row = rows[index - 1] if index <= len(rows) else {"field": "", "op": "", "value": ""}
            self.fields[f"cond_field_{index}"] = forms.ChoiceField(
                label=_("Condition %(n)s : champ") % {"n": index}, choices=field_choices, required=False,
                initial=row["field"],
            )
            self.fields[f"cond_op_{index}"] = forms.ChoiceField(
                label=_("Condition %(n)s : opérateur") % {"n": index}, choices=operator_choices, required=False,
                initial=row["op"],
            )
            self.fields[f"cond_value_{index}"] = forms.CharField(
                label=_("Condition %(n)s : valeur") % {"n": index}, required=False, max_length=500,
                initial=row["value"],
                help_text=_("Pour un choix, la valeur (avant le « | ») ; une date au format AAAA-MM-JJ.")
                if index == 1 else "",
            )

    def main_fields(self):
        """The form's fields other than the condition editor's, in order."""
        return [self[name] for name in self.fields if not name.startswith("cond_")]

    def condition_rows_bound(self):
        return [
            (self[f"cond_field_{index}"], self[f"cond_op_{index}"], self[f"cond_value_{index}"])
            for index in range(1, self.condition_row_count + 1)
        ]

    def clean_condition(self):
        """The condition dict from the rows (errors are added to the row's fields)."""
        rows = []
        for index in range(1, self.condition_row_count + 1):
            field = self.cleaned_data.get(f"cond_field_{index}") or ""
            op = self.cleaned_data.get(f"cond_op_{index}") or ""
            value = (self.cleaned_data.get(f"cond_value_{index}") or "").strip()
            if not field:
                if op or value:
                    self.add_error(f"cond_field_{index}", _("Choisissez le champ testé par cette condition."))
                continue
            if not op:
                self.add_error(f"cond_op_{index}", _("Choisissez l'opérateur de cette condition."))
                continue
            if op not in builder.UNARY and not value:
                self.add_error(f"cond_value_{index}", _("Indiquez la valeur à comparer."))
                continue
            rows.append({"field": field, "op": op, "value": value})
        return builder.rows_to_condition(self.cleaned_data.get("cond_mode") or "all", rows)


class PageForm(ConditionMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Titre de la page"), max_length=200)

    def __init__(self, *args, defn, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.defn = defn
        self.page = page
        if page is None:
            self.fields["page_id"] = forms.CharField(
                label=_("Identifiant (facultatif)"), required=False, max_length=63,
                help_text=_("Fait à partir du titre si vous le laissez vide."),
            )
            self.order_fields(["title", "page_id"])
        else:
            self.fields["title"].initial = page.get("title", "")
        later = set()
        if page is not None:
            # A page's condition can only test fields of the pages before it.
            seen = False
            for other in defn.get("pages", []):
                if other.get("id") == page.get("id"):
                    seen = True
                if seen:
                    later.update(field.get("id") for field in other.get("fields", []))
        self.add_condition_fields(defn, page.get("condition") if page else None, exclude_ids=later)

    def clean(self):
        cleaned = super().clean()
        cleaned["condition"] = self.clean_condition()
        if self.page is None and "title" in cleaned:
            taken = builder.all_ids(self.defn)
            page_id = (cleaned.get("page_id") or "").strip()
            if page_id:
                error = builder.check_new_id(page_id, taken)
                if error:
                    self.add_error("page_id", error)
            else:
                page_id = builder.new_id(cleaned["title"], taken, fallback="page")
            cleaned["page_id"] = page_id
        return cleaned


class NewFieldForm(forms.Form):
    type = forms.ChoiceField(label=gettext_lazy("Type de champ"))

    def __init__(self, *args, in_block=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = builder.type_choices(in_block)


def _decimal_to_json(value):
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _date_bound(text):
    text = (text or "").strip()
    if not text:
        return None
    if text.lower() in ("today", "aujourd'hui", "aujourd’hui"):
        return "today"
    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", text)
    try:
        if match:
            return datetime.date(int(match[3]), int(match[2]), int(match[1])).isoformat()
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise forms.ValidationError(
            _("Indiquez une date (JJ/MM/AAAA ou AAAA-MM-JJ) ou « aujourd'hui ».")
        ) from None


class FieldForm(ConditionMixin, forms.Form):
    """Add or edit one field of a given type; `changes()` gives the field's keys for formdefs.editing."""

    def __init__(self, *args, kind, defn, field=None, block=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.defn = defn
        self.field = field or {}
        self.block = block
        self.is_new = field is None
        initial = self.field
        rules = initial.get("validation") if isinstance(initial.get("validation"), dict) else {}
        takes_answer = builder.takes_answer(kind)
        if self.is_new:
            self.fields["field_id"] = forms.CharField(
                label=_("Identifiant (facultatif)"), required=False, max_length=63,
                help_text=_("Nom technique de la réponse ; fait à partir du libellé si vous le laissez vide."),
            )
        self.fields["label"] = forms.CharField(
            label=_("Texte du titre") if kind == "title" else _("Libellé"), max_length=300,
            required=kind != "comment", initial=initial.get("label", ""),
        )
        if takes_answer:
            self.fields["help"] = forms.CharField(
                label=_("Aide"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                initial=initial.get("help", ""), help_text=_("Affichée sous le libellé."),
            )
            self.fields["required"] = forms.BooleanField(
                label=_("Réponse obligatoire"), required=False, initial=bool(initial.get("required")),
            )
        settings = builder.TYPE_SETTINGS.get(kind, [])
        if "text" in settings:
            self.fields["text"] = forms.CharField(
                label=_("Texte du commentaire"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}),
                initial=initial.get("text", ""),
                help_text=_("Mise en forme HTML simple permise (paragraphes, gras, italique, listes, liens) ; "
                            "le reste est retiré."),
            )
        if "min_length" in settings:
            self.fields["min_length"] = forms.IntegerField(
                label=_("Longueur minimale (caractères)"), required=False, min_value=0, max_value=10000,
                initial=rules.get("min_length"),
            )
            self.fields["max_length"] = forms.IntegerField(
                label=_("Longueur maximale (caractères)"), required=False, min_value=1, max_value=10000,
                initial=rules.get("max_length"),
            )
        if "format" in settings:
            self.fields["format"] = forms.ChoiceField(
                label=_("Format attendu"), required=False, initial=rules.get("format") or "",
                choices=[("", _("— Libre —"))] + list(FORMAT_LABELS.items()),
            )
            self.fields["pattern"] = forms.CharField(
                label=_("Motif (expression régulière)"), required=False, max_length=200,
                initial=rules.get("pattern") or "",
                help_text=_("Pour les besoins avancés, par exemple ^[A-Z]{2}[0-9]{4}$."),
            )
            self.fields["pattern_message"] = forms.CharField(
                label=_("Message si le motif n'est pas respecté"), required=False, max_length=300,
                initial=rules.get("pattern_message") or "",
            )
        if "min" in settings:
            self.fields["min"] = forms.DecimalField(label=_("Valeur minimale"), required=False,
                                                    initial=initial.get("min"), max_digits=20, decimal_places=6)
            self.fields["max"] = forms.DecimalField(label=_("Valeur maximale"), required=False,
                                                    initial=initial.get("max"), max_digits=20, decimal_places=6)
            self.fields["decimals"] = forms.IntegerField(
                label=_("Nombre de décimales"), required=False, min_value=0, max_value=6,
                initial=initial.get("decimals", 0),
            )
        if "date_min" in settings:
            self.fields["date_min"] = forms.CharField(
                label=_("Date au plus tôt"), required=False, max_length=20, initial=initial.get("min") or "",
                help_text=_("JJ/MM/AAAA, ou « aujourd'hui »."),
            )
            self.fields["date_max"] = forms.CharField(
                label=_("Date au plus tard"), required=False, max_length=20, initial=initial.get("max") or "",
                help_text=_("JJ/MM/AAAA, ou « aujourd'hui » (une date de naissance, par exemple)."),
            )
        if "widget" in settings:
            self.fields["widget"] = forms.ChoiceField(
                label=_("Présentation"), choices=[("radio", _("Boutons radio")), ("select", _("Liste déroulante"))],
                initial=initial.get("widget", "radio"),
            )
        if "choices" in settings:
            self.fields["choices"] = forms.CharField(
                label=_("Choix proposés"), widget=forms.Textarea(attrs={"rows": 6}),
                initial=builder.choices_to_lines(initial.get("choices")),
                help_text=_("Un choix par ligne, sous la forme « valeur|libellé » (par exemple "
                            "« naissance|Acte de naissance »), ou seulement le libellé."),
            )
        if "min_choices" in settings:
            self.fields["min_choices"] = forms.IntegerField(
                label=_("Nombre minimal de cases cochées"), required=False, min_value=0, max_value=200,
                initial=initial.get("min_choices"),
            )
            self.fields["max_choices"] = forms.IntegerField(
                label=_("Nombre maximal de cases cochées"), required=False, min_value=1, max_value=200,
                initial=initial.get("max_choices"),
            )
        if "accept" in settings:
            self.fields["accept"] = forms.MultipleChoiceField(
                label=_("Types de fichiers acceptés"), widget=forms.CheckboxSelectMultiple,
                choices=[(kind_, FILE_KIND_LABELS[kind_]) for kind_ in FILE_KINDS],
                initial=initial.get("accept") or ["pdf", "jpeg", "png"],
            )
            self.fields["max_size_mb"] = forms.IntegerField(
                label=_("Taille maximale d'un fichier (Mo)"), min_value=1, max_value=50,
                initial=initial.get("max_size_mb", 5),
            )
            self.fields["max_files"] = forms.IntegerField(
                label=_("Nombre maximal de fichiers"), min_value=1, max_value=MAX_FILES,
                initial=initial.get("max_files", 1),
            )
            self.fields["document_type"] = forms.ChoiceField(
                label=_("Type de pièce (« Dites-le nous une fois »)"), required=False,
                choices=[("", _("— Aucun —"))] + _document_types(), initial=initial.get("document_type") or "",
                help_text=_("Une pièce de ce type déjà vérifiée par un agent sera proposée à l'usager."),
            )
        if "map" in settings:
            self.fields["map"] = forms.BooleanField(
                label=_("Proposer de placer un point sur une carte"), required=False,
                initial=bool(initial.get("map")),
            )
        if "multiple" in settings:
            self.fields["multiple"] = forms.BooleanField(
                label=_("Plusieurs membres peuvent être choisis"), required=False,
                initial=bool(initial.get("multiple")),
            )
            self.fields["relationship"] = forms.ChoiceField(
                label=_("Membres proposés"), required=False, initial=initial.get("relationship") or "",
                choices=[("", _("Tous les membres du foyer"))]
                + [(rel, RELATIONSHIP_LABELS.get(rel, rel)) for rel in RELATIONSHIPS],
            )
        if "min_items" in settings:
            self.fields["min_items"] = forms.IntegerField(
                label=_("Nombre minimal de blocs"), required=False, min_value=0, max_value=20,
                initial=initial.get("min_items"),
            )
            self.fields["max_items"] = forms.IntegerField(
                label=_("Nombre maximal de blocs"), required=False, min_value=1, max_value=20,
                initial=initial.get("max_items"),
            )
        if "expression" in settings:
            self.fields["expression"] = forms.CharField(
                label=_("Expression"), max_length=500, initial=initial.get("expression", ""),
                help_text=_("Par exemple {{ profile.city }} : calculée par le serveur, jamais saisie."),
            )
        if "default" in settings:
            default = initial.get("default")
            self.fields["default"] = forms.CharField(
                label=_("Valeur par défaut"), required=False, max_length=1000,
                initial="" if default is None else str(default),
            )
        if "prefill" in settings and block is None:
            sources = builder.PREFILL_BY_TYPE.get(kind, [])
            if sources:
                self.fields["prefill"] = forms.ChoiceField(
                    label=_("Pré-remplir depuis"), required=False, initial=initial.get("prefill") or "",
                    choices=[("", _("— Rien —"))] + [(source, builder.PREFILL_LABELS[source]) for source in sources],
                    help_text=_("L'usager connecté voit la réponse déjà remplie et peut la modifier."),
                )
        self.with_condition = block is None
        if self.with_condition:
            own_id = self.field.get("id")
            later = set()
            if own_id:
                found = False
                for page in defn.get("pages", []):
                    for other in page.get("fields", []):
                        if other.get("id") == own_id:
                            found = True
                        if found:
                            later.add(other.get("id"))
            self.add_condition_fields(defn, initial.get("condition"), exclude_ids=later)

    def clean_choices(self):
        choices, errors = builder.lines_to_choices(self.cleaned_data.get("choices", ""))
        if errors:
            raise forms.ValidationError(errors)
        if not choices:
            raise forms.ValidationError(_("Indiquez au moins un choix."))
        return choices

    def clean_date_min(self):
        return _date_bound(self.cleaned_data.get("date_min"))

    def clean_date_max(self):
        return _date_bound(self.cleaned_data.get("date_max"))

    def clean(self):
        cleaned = super().clean()
        if self.with_condition:
            cleaned["condition"] = self.clean_condition()
        for low, high in (("min_length", "max_length"), ("min", "max"), ("min_choices", "max_choices"),
                          ("min_items", "max_items")):
            if cleaned.get(low) is not None and cleaned.get(high) is not None and cleaned[low] > cleaned[high]:
                self.add_error(high, _("Le maximum doit être supérieur ou égal au minimum."))
        if self.is_new:
            taken = builder.block_ids(self.block) if self.block is not None else builder.all_ids(self.defn)
            field_id = (cleaned.get("field_id") or "").strip()
            if field_id:
                error = builder.check_new_id(field_id, taken)
                if error:
                    self.add_error("field_id", error)
            else:
                field_id = builder.new_id(cleaned.get("label") or builder.type_label(self.kind), taken)
            cleaned["field_id"] = field_id
        return cleaned

    def changes(self):
        """The field's keys as the builder sets them (every offered setting, None when left empty)."""
        data = self.cleaned_data
        changes = {"label": data.get("label", "")}
        if "help" in data:
            changes["help"] = data["help"]
            changes["required"] = bool(data.get("required"))
        settings = builder.TYPE_SETTINGS.get(self.kind, [])
        if "text" in settings:
            changes["text"] = data["text"]
        if "min_length" in settings:
            validation = {"min_length": data.get("min_length"), "max_length": data.get("max_length"),
                          "pattern": None, "format": None}
            if "format" in settings:
                validation["format"] = data.get("format") or None
                validation["pattern"] = data.get("pattern") or None
                if data.get("pattern_message"):
                    validation["pattern_message"] = data["pattern_message"]
            changes["validation"] = validation
        if "min" in settings:
            changes["min"] = _decimal_to_json(data.get("min"))
            changes["max"] = _decimal_to_json(data.get("max"))
            changes["decimals"] = data.get("decimals") or 0
        if "date_min" in settings:
            changes["min"] = data.get("date_min")
            changes["max"] = data.get("date_max")
        for name in ("widget", "choices", "min_choices", "max_choices", "accept", "max_size_mb", "max_files",
                     "min_items", "max_items", "expression"):
            if name in settings:
                changes[name] = data.get(name)
        if "document_type" in settings:
            changes["document_type"] = data.get("document_type") or None
        if "map" in settings:
            changes["map"] = bool(data.get("map"))
        if "multiple" in settings:
            changes["multiple"] = bool(data.get("multiple"))
            changes["relationship"] = data.get("relationship") or None
        if "default" in settings:
            default = data.get("default") or None
            if default is not None and self.kind == "number":
                default = default.replace(",", ".")
            changes["default"] = default
        if "prefill" in self.fields:
            changes["prefill"] = data.get("prefill") or None
        if self.with_condition:
            changes["condition"] = data.get("condition")
        return changes

    def new_field(self):
        """The complete dict of a new field."""
        return {"id": self.cleaned_data["field_id"], "type": self.kind, **self.changes()}


def _document_types():
    try:
        from guichet.documents.types import DocumentType
    except ImportError:  # the documents app is optional for the builder
        return []
    return list(DocumentType.choices)
