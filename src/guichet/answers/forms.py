"""Forms of the written answer: answer templates, picking a template, a button that closes a request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.service_requests.agent_forms import ButtonForm
from guichet.service_requests.messaging import MAX_MESSAGE_LENGTH

from . import services
from .models import AnswerTemplate


class AnswerTemplateForm(forms.ModelForm):
    """Title, service (the ones the agent manages; « every service » for administrators) and text."""

    class Meta:
        model = AnswerTemplate
        fields = ["title", "service", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
        help_texts = {
            "body": _("Le texte que l'agent retrouve, déjà rempli pour la demande, et qu'il adapte avant l'envoi. "
                      "Les variables de la liste ci-contre sont remplacées par les valeurs de la demande."),
        }

    def __init__(self, *args, services_choices=None, allow_common=False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        field.queryset = services_choices
        field.required = not allow_common
        field.empty_label = _("Tous les services (modèle commun)") if allow_common else None
        field.error_messages["invalid_choice"] = _("Choisissez un des services que vous gérez.")
        field.error_messages["required"] = _("Choisissez le service du modèle.")
        self.fields["title"].error_messages["required"] = _("Donnez un titre au modèle.")
        self.fields["body"].error_messages["required"] = _("Écrivez le texte de la réponse.")
        self.fields["title"].max_length = services.MAX_TITLE_LENGTH
        self.fields["body"].max_length = services.MAX_BODY_LENGTH
        self.fields["body"].widget.attrs["maxlength"] = services.MAX_BODY_LENGTH

    def clean_body(self):
        body = (self.cleaned_data.get("body") or "").strip()
        problem = services.check_body(body)
        if problem:
            raise forms.ValidationError(problem)
        return body


class TemplatePickForm(forms.Form):
    """« Utiliser ce modèle » without JavaScript: a GET form whose choice fills the answer's text."""

    modele = forms.TypedChoiceField(label=_("Modèle de réponse"), coerce=int, required=False)

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modele"].choices = [("", _("— Choisir un modèle —"))] + [
            (template.pk, _label(template)) for template in templates
        ]
        self.fields["modele"].widget.attrs.update(_enhanced())


def _enhanced():
    """Attributes of a template choice that answers.js makes fill the answer at once."""
    return {"data-answer-template": "1",
            "data-confirm": _("Remplacer le texte déjà écrit par celui du modèle ?")}


def _label(template):
    service = template.service.name if template.service_id else _("tous services")
    return f"{template.title} ({service})"


class AnswerButtonForm(ButtonForm):
    """A button that leads to a final status while the request has no written answer: it carries the answer
    (a template and/or the agent's text), required unless the final status's own actions answer."""

    def __init__(self, *args, service_request, need, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.service_request = service_request
        self.need = need
        self.templates = {template.pk: template for template in templates}
        self.fields["reponse_modele"] = forms.TypedChoiceField(
            label=_("Modèle de réponse"), coerce=int, required=False,
            choices=[("", _("— Aucun modèle —"))] + [(pk, _label(t)) for pk, t in self.templates.items()],
            help_text=_("Sans texte ci-dessous, c'est le texte du modèle, rempli pour la demande, qui part."),
            error_messages={"invalid_choice": _("Ce modèle n'est pas disponible pour cette demande.")},
        )
        self.fields["reponse_modele"].widget.attrs.update(_enhanced())
        self.fields["reponse"] = forms.CharField(
            label=_("Réponse écrite à l'usager"), required=False, max_length=MAX_MESSAGE_LENGTH,
            widget=forms.Textarea(attrs={"rows": 6, "data-answer-text": "1"}),
            help_text=(_("Obligatoire : la demande est close par cette action et l'usager doit recevoir une "
                         "réponse écrite.") if need == "required" else
                       _("Facultatif : l'étape finale envoie déjà une réponse écrite ; vous pouvez y ajouter la "
                         "vôtre.")),
            error_messages={"max_length": _("La réponse est trop longue : %(limit_value)d caractères au plus (elle "
                                            "en compte %(show_value)d).")},
        )
        if need == "required":
            self.fields["reponse"].widget.attrs["aria-required"] = "true"

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("reponse") or "").strip()
        template = self.templates.get(cleaned.get("reponse_modele"))
        if not text and template is not None:
            text = services.render_for_request(template, self.service_request)
        cleaned["reponse"] = text
        if self.need == "required" and not text and "reponse" not in self.errors:
            self.add_error("reponse", _("Écrivez la réponse à l'usager ou choisissez un modèle : cette action clôt "
                                        "la demande."))
        return cleaned

    def answer(self):
        return self.cleaned_data.get("reponse", "")

    def texts(self):
        return {name: value for name, value in super().texts().items() if name not in ("reponse", "reponse_modele")}


def button_forms(service_request, buttons, bound=None):
    """[(button, form)] for the request's buttons (`bound`: (button id, bound form)); a button that leads to a
    final status while the request has no written answer gets an AnswerButtonForm (the service's templates are
    read once for all of them)."""
    templates = None
    result = []
    for button in buttons:
        if bound and bound[0] == button.id:
            result.append((button, bound[1]))
            continue
        need = services.answer_need(service_request, button)
        if need is not None and templates is None:
            templates = list(services.templates_for_request(service_request))
        result.append((button, button_form(service_request, button, need=need, templates=templates,
                                           initial={"lock_version": service_request.lock_version})))
    return result


def button_form(service_request, button, data=None, *, need="?", templates=None, **kwargs):
    """The form of one button (bound to `data` when given): ButtonForm, or AnswerButtonForm when it must carry
    the written answer."""
    if need == "?":
        need = services.answer_need(service_request, button)
    kwargs.setdefault("prefix", f"bouton-{button.id}")
    if need is None:
        return ButtonForm(data, inputs=button.inputs, **kwargs)
    if templates is None:
        templates = list(services.templates_for_request(service_request))
    return AnswerButtonForm(data, inputs=button.inputs, service_request=service_request, need=need,
                            templates=templates, **kwargs)


def answer_of(form):
    """The written answer a valid button form carries ("" when none)."""
    return form.answer() if isinstance(form, AnswerButtonForm) else ""
