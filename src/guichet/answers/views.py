"""Pages of the written answer (under /agents/reponses/): the answer templates (list, create, edit, deactivate)
and the answer to one request.

Every query starts from `request.organisation`; a template of another collectivité, or of a service the agent
does not belong to, is a 404; one the agent may read but not manage (a plain agent) is shown read-only, and
changing it is refused (403). The rules live in `services`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.permissions import agent_required, is_org_admin
from guichet.service_requests.agent_views import _request_for_agent
from guichet.service_requests.forms import MessageForm
from guichet.service_requests.messaging import AlreadyPosted

from . import services
from .forms import AnswerTemplateForm, TemplatePickForm


def _variables():
    return [{"name": name, "description": description, "sample": sample}
            for name, (description, sample) in services.ANSWER_VARIABLES.items()]


@agent_required
@require_http_methods(["GET"])
def template_list(request):
    return render(request, "answers/template_list.html", {
        "rows": services.template_rows(request.user, request.organisation),
        "may_create": services.may_create(request.user, request.organisation),
    })


def _template_form(request, data=None, instance=None):
    return AnswerTemplateForm(
        data, instance=instance, services_choices=services.managed_services(request.user, request.organisation),
        allow_common=is_org_admin(request.user),
    )


def _save(request, form, template=None):
    """Save through the service; its refusals land on the form's fields → the template or None."""
    try:
        return services.save_template(
            request.organisation, request.user, title=form.cleaned_data["title"], body=form.cleaned_data["body"],
            service=form.cleaned_data.get("service"), template=template,
        )
    except services.AnswerRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        return None


def _render_form(request, form, template=None, status=200):
    return render(request, "answers/template_form.html", {
        "form": form, "template": template, "variables": _variables(),
    }, status=status)


@agent_required
@require_http_methods(["GET", "POST"])
def template_create(request):
    if not services.may_create(request.user, request.organisation):
        raise PermissionDenied
    form = _template_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid() and (template := _save(request, form)) is not None:
            messages.success(request, _("Le modèle « %(title)s » est enregistré.") % {"title": template.title})
            return redirect("answers:list")
        return _render_form(request, form, status=400)
    return _render_form(request, form)


def _visible_template(request, pk):
    return get_object_or_404(services.visible_templates(request.user, request.organisation), pk=pk)


@agent_required
@require_http_methods(["GET", "POST"])
def template_edit(request, pk):
    template = _visible_template(request, pk)
    if not services.may_manage(request.user, template.service):
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "answers/template_detail.html", {"template": template})
    form = _template_form(request, request.POST if request.method == "POST" else None, instance=template)
    if request.method == "POST":
        if form.is_valid() and _save(request, form, template) is not None:
            messages.success(request, _("Le modèle « %(title)s » est enregistré.") % {"title": template.title})
            return redirect("answers:list")
        template.refresh_from_db()
        return _render_form(request, form, template, status=400)
    return _render_form(request, form, template)


@agent_required
@require_POST
def template_toggle(request, pk):
    template = _visible_template(request, pk)
    services.set_active(template, request.user, not template.is_active)
    if template.is_active:
        messages.success(request, _("Le modèle « %(title)s » est de nouveau proposé.") % {"title": template.title})
    else:
        messages.success(request, _("Le modèle « %(title)s » est désactivé : il n'est plus proposé.") % {
            "title": template.title})
    return redirect("answers:list")


# --- the answer to one request ------------------------------------------------------------------------


def answer_message_form(*args, **kwargs):
    """The messaging's form (text, files, one-time token), worded for the written answer."""
    form = MessageForm(*args, message_label=_("Votre réponse à l'usager"), **kwargs)
    form.fields["message"].widget.attrs["data-answer-text"] = "1"
    return form


def answer_form_context(service_request, user, *, query=None, form=None):
    """What the answer form shows (panel of the request page and the answer page): the channel, the templates,
    the picked template's text (`?modele=<id>`), the bodies of every template for the JavaScript."""
    templates = list(services.templates_for_request(service_request))
    variables = services.request_variables(service_request) if templates else None
    pick = TemplatePickForm(query if query and query.get("modele") else None, templates=templates)
    picked = None
    if pick.is_bound and pick.is_valid() and pick.cleaned_data["modele"]:
        picked = next((t for t in templates if t.pk == pick.cleaned_data["modele"]), None)
    if form is None:
        form = answer_message_form(
            initial={"message": services.render_for_request(picked, service_request, variables)} if picked else {})
    return {
        "service_request": service_request, "may_answer": services.may_answer(user, service_request),
        "refusal": services.answer_refusal(service_request), "channel": services.answer_channel(service_request),
        "pick_form": pick, "answer_form": form, "templates": templates,
        "bodies": {str(t.pk): services.render_for_request(t, service_request, variables) for t in templates},
    }


@agent_required
@require_http_methods(["GET", "POST"])
def answer(request, code):
    service_request = _request_for_agent(request, code)
    if not services.may_answer(request.user, service_request):
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "answers/answer.html", answer_form_context(service_request, request.user,
                                                                          query=request.GET))
    form = answer_message_form(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.send_answer(service_request, request.user, form.cleaned_data["message"],
                                 files=form.cleaned_data["files"], token=form.cleaned_data["token"])
        except AlreadyPosted:
            pass
        except services.AnswerRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else "message", refused.message)
        else:
            messages.success(request, _("La réponse écrite est envoyée à l'usager."))
            return redirect("agent_requests:detail", code=service_request.tracking_code)
        if not form.errors:
            return redirect("agent_requests:detail", code=service_request.tracking_code)
    context = answer_form_context(service_request, request.user, form=form)
    return render(request, "answers/answer.html", context, status=400)
