"""Forms of the knowledge base: a sheet, a theme, the search box, the list's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .models import MAX_ANSWER_LENGTH, MAX_QUESTION_LENGTH, Theme

MIN_YEAR, MAX_YEAR = 1900, 2999


class FrenchDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SheetForm(forms.Form):
    question = forms.CharField(
        label=_("Question"), max_length=MAX_QUESTION_LENGTH,
        help_text=_("Telle qu'un usager la poserait, par exemple « Comment faire enlever un graffiti ? »."),
        error_messages={"required": _("Écrivez la question de la fiche.")},
    )
    answer = forms.CharField(
        label=_("Réponse"), widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Séparez les paragraphes par une ligne vide ; une ligne commençant par « - » devient un "
                    "élément de liste. Mise en forme acceptée : paragraphes, gras, italique, listes, liens, "
                    "intertitres, citations ; tout le reste est retiré."),
        error_messages={"required": _("Écrivez la réponse de la fiche.")},
    )
    theme = forms.ModelChoiceField(
        label=_("Thème"), queryset=Theme.objects.none(), empty_label=None,
        error_messages={"required": _("Choisissez le thème de la fiche."),
                        "invalid_choice": _("Choisissez un des thèmes de la liste.")},
    )
    service = forms.ModelChoiceField(
        label=_("Service responsable"), queryset=None, empty_label=None,
        help_text=_("Le service qui tient la fiche à jour."),
        error_messages={"required": _("Choisissez le service responsable de la fiche."),
                        "invalid_choice": _("Choisissez un de vos services.")},
    )
    is_public = forms.BooleanField(
        label=_("Publier dans les questions fréquentes du site"), required=False,
        help_text=_("Les usagers la lisent sans se connecter ; les autres fiches restent réservées aux agents."),
    )
    review_on = forms.DateField(
        label=_("À relire le"), required=False, widget=FrenchDateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Passé cette date, la fiche est signalée « À relire ». Format : jj/mm/aaaa."),
        error_messages={"invalid": _("Indiquez une date valide, par exemple 31/12/2027.")},
    )
    procedures = forms.ModelMultipleChoiceField(
        label=_("Démarches liées"), queryset=None, required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Les démarches en ligne dont parle la fiche (Ctrl ou Cmd pour en choisir plusieurs)."),
        error_messages={"invalid_choice": _("Choisissez des démarches de la liste."),
                        "invalid_pk_value": _("Choisissez des démarches de la liste.")},
    )

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, organisation, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.of(organisation)
        self.fields["service"].queryset = services.writable_services(user, organisation)
        self.fields["procedures"].queryset = services.procedures_for_sheets(organisation)
        self.fields["answer"].widget.attrs["maxlength"] = MAX_ANSWER_LENGTH

    def clean_review_on(self):
        value = self.cleaned_data.get("review_on")
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise forms.ValidationError(_("Indiquez une date entre 1900 et 2999."))
        return value

    @classmethod
    def initial_for(cls, sheet):
        return {
            "question": sheet.question, "answer": sheet.answer, "theme": sheet.theme_id, "service": sheet.service_id,
            "is_public": sheet.is_public, "review_on": sheet.review_on,
            "procedures": list(sheet.procedures.values_list("pk", flat=True)), "base_version": sheet.version_number,
        }


class ThemeForm(forms.Form):
    name = forms.CharField(label=_("Nom du thème"), max_length=100,
                           error_messages={"required": _("Donnez un nom au thème.")})
    position = forms.IntegerField(
        label=_("Ordre d'affichage"), required=False, min_value=0, max_value=10_000,
        help_text=_("Les thèmes sont présentés du plus petit nombre au plus grand."),
        error_messages={"invalid": _("Indiquez un nombre entier, par exemple 10."),
                        "min_value": _("Indiquez un nombre positif ou nul."),
                        "max_value": _("Indiquez un nombre inférieur à 10 000.")},
    )

