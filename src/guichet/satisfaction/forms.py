"""Forms of ratings, reopening requests and the service's decision."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import MAX_COMMENT_LENGTH, MAX_REASON_LENGTH, SCORES

SCORE_ERROR = _("Choisissez une note de 1 (très insatisfait) à 5 (très satisfait).")
TOO_LONG = _("Ce texte est trop long : %(limit_value)s caractères au plus (il en compte %(show_value)s).")


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Votre note sur la réponse du service"), coerce=int, widget=forms.RadioSelect,
        choices=[(score, format_lazy("{} — {}", score, label)) for score, label in SCORES],
        error_messages={"required": SCORE_ERROR, "invalid_choice": SCORE_ERROR},
    )
    comment = forms.CharField(
        label=_("Commentaire"), required=False, max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": TOO_LONG},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].help_text = _(
            "Facultatif, %(max)s caractères au plus. Le service lit votre commentaire."
        ) % {"max": MAX_COMMENT_LENGTH}


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Pourquoi demandez-vous la réouverture ?"), max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Le service lit votre motif et décide de rouvrir ou non la demande ; vous serez prévenu."),
        error_messages={"required": _("Expliquez pourquoi la réponse ne vous convient pas."),
                        "max_length": TOO_LONG},
    )


class AcceptReopenForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Statut où reprend le traitement"),
        error_messages={"required": _("Choisissez le statut où reprend le traitement de la demande."),
                        "invalid_choice": _("Choisissez le statut où reprend le traitement de la demande.")},
    )
    note = forms.CharField(
        label=_("Message à l'usager"), required=False, max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Facultatif : joint au message qui le prévient."),
        error_messages={"max_length": TOO_LONG},
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Choisissez un statut"))] + list(targets)


class RefuseReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus, écrit à l'usager"), max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Expliquez à l'usager pourquoi la demande n'est pas rouverte."),
                        "max_length": TOO_LONG},
    )
