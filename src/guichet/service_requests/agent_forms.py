"""Forms of the agents' request pages: internal note, button text, keeping a checked document."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .agent_services import MAX_NOTE_LENGTH


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note interne"), max_length=MAX_NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Visible des seuls agents : l'usager ne la voit jamais."),
        error_messages={"required": _("Écrivez le texte de la note.")},
    )


class ButtonForm(forms.Form):
    """A workflow button: the request's lock version (so a second press or a colleague's action is noticed) and
    the texts the button asks for (`inputs` from the engine: [(name, label)], e.g. the message to the citizen)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, inputs=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in inputs:
            self.fields[name] = forms.CharField(
                label=label, max_length=MAX_NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={"required": _("Écrivez ce texte avant de valider.")},
            )

    def texts(self):
        return {name: value for name, value in self.cleaned_data.items() if name != "lock_version"}


class KeepDocumentForm(forms.Form):
    valid_until = forms.DateField(
        label=_("Valable jusqu'au"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Laissez vide si le document n'a pas de date de fin de validité."),
        error_messages={"invalid": _("Indiquez une date valide, par exemple 31/12/2026.")},
    )

    def __init__(self, *args, prefix=None, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.fields["valid_until"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]

    def clean_valid_until(self):
        value = self.cleaned_data.get("valid_until")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("La date de fin de validité est déjà passée : indiquez une date à venir."))
        return value
