"""The workflow editor (administrators), under /agents/admin/circuits/.

Every query is scoped to `request.organisation`: another collectivité's workflow is a 404. Every change is one
editing operation (`editing.py`) applied to the locked row; an invalid workflow is saved as a draft and its
problems are listed (a procedure cannot be published with it).
"""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.agents.permissions import org_admin_required

from . import diagram, editing, services
from .actions import describe
from .forms import ActionForm, ButtonForm, ImportForm, StatusEditForm, StatusForm, TimerForm, WorkflowForm
from .models import Workflow
from .validation import validate_workflow


def _workflow(request, pk):
    return get_object_or_404(Workflow.objects.of(request.organisation), pk=pk)


def _status_or_404(workflow, sid):
    for index, status in enumerate(workflow.definition.get("statuses") or []):
        if isinstance(status, dict) and status.get("id") == sid:
            return index, status
    raise Http404(sid)


def _button_or_404(status, bid):
    for button in status.get("buttons") or []:
        if isinstance(button, dict) and button.get("id") == bid:
            return button
    raise Http404(bid)


def _apply(request, pk, operation, *args, **kwargs):
    """Apply an editing operation to the locked workflow; returns (workflow, result) or (workflow, None) after
    telling the user why it was refused."""
    with transaction.atomic():
        workflow = get_object_or_404(Workflow.objects.of(request.organisation).select_for_update(), pk=pk)
        try:
            result = operation(workflow.definition, *args, **kwargs)
        except editing.EditError as error:
            messages.error(request, error.message)
            return workflow, None
        definition = result[0] if isinstance(result, tuple) else result
        services.save_definition(workflow, definition, request.user)
    return workflow, result


def _status_url(workflow, sid):
    return reverse("workflows:status", args=[workflow.pk, sid])


@org_admin_required
@require_GET
def workflow_list(request):
    workflows = list(Workflow.objects.of(request.organisation).order_by("name"))
    rows = [(workflow, list(services.procedures_using(workflow)), validate_workflow(workflow.definition))
            for workflow in workflows]
    return render(request, "workflows/list.html", {"rows": rows})


@org_admin_required
@require_http_methods(["GET", "POST"])
def workflow_create(request):
    form = WorkflowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workflow = Workflow.objects.create(
            organisation=request.organisation, name=form.cleaned_data["name"],
            slug=services.unique_slug(request.organisation, form.cleaned_data["name"]),
            description=form.cleaned_data["description"], updated_by=request.user,
        )
        messages.success(request, _("Circuit créé avec trois statuts de départ : modifiez-les à votre guise."))
        return redirect("workflows:edit", workflow.pk)
    return render(request, "workflows/create.html", {"form": form})


@org_admin_required
@require_http_methods(["GET", "POST"])
def workflow_edit(request, pk):
    workflow = _workflow(request, pk)
    form = WorkflowForm(request.POST or None, initial={"name": workflow.name, "description": workflow.description})
    if request.method == "POST" and form.is_valid():
        Workflow.objects.filter(pk=workflow.pk).update(
            name=form.cleaned_data["name"], description=form.cleaned_data["description"], updated_by=request.user)
        messages.success(request, _("Circuit enregistré."))
        return redirect("workflows:edit", workflow.pk)
    definition = workflow.definition
    statuses = [s for s in definition.get("statuses") or [] if isinstance(s, dict)]
    return render(request, "workflows/edit.html", {
        "workflow": workflow, "form": form, "statuses": statuses, "initial": definition.get("initial"),
        "problems": validate_workflow(definition), "show_problems": "valider" in request.GET,
        "svg": diagram.render_svg(definition, _("Diagramme du circuit « %(name)s »") % {"name": workflow.name}),
        "alternative": diagram.text_alternative(definition),
        "procedures": services.procedures_using(workflow), "status_form": StatusForm(prefix="new"),
        "import_form": ImportForm(),
    })


@org_admin_required
@require_POST
def workflow_delete(request, pk):
    workflow = _workflow(request, pk)
    if services.procedures_using(workflow).exists():
        messages.error(request, _("Ce circuit est utilisé par des démarches : il ne peut pas être supprimé."))
        return redirect("workflows:edit", workflow.pk)
    try:
        workflow.delete()
    except IntegrityError:
        messages.error(request, _("Ce circuit est utilisé par des démarches : il ne peut pas être supprimé."))
        return redirect("workflows:edit", workflow.pk)
    messages.success(request, _("Circuit supprimé."))
    return redirect("workflows:list")


@org_admin_required
@require_GET
def workflow_export(request, pk):
    workflow = _workflow(request, pk)
    response = HttpResponse(services.export_json(workflow), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="circuit-{workflow.slug}.json"'
    return response


def _read_import(request, form):
    upload = form.cleaned_data["file"]
    if upload.size > services.MAX_IMPORT_BYTES:
        return None, "", None, [services.Problem("", _("Le fichier est trop gros (1 Mo au plus)."))]
    return services.parse_import(upload.read())


@org_admin_required
@require_http_methods(["GET", "POST"])
def workflow_import(request, pk=None):
    """Create a workflow from a JSON file (pk None), or replace a workflow's definition with the file's."""
    workflow = _workflow(request, pk) if pk is not None else None
    form = ImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        name, description, definition, problems = _read_import(request, form)
        if not problems:
            if workflow is None:
                name = name or _("Circuit importé")
                workflow = Workflow.objects.create(
                    organisation=request.organisation, name=name, description=description,
                    slug=services.unique_slug(request.organisation, name), definition=definition,
                    updated_by=request.user)
            else:
                services.save_definition(workflow, definition, request.user)
            messages.success(request, _("Circuit importé."))
            return redirect("workflows:edit", workflow.pk)
    return render(request, "workflows/import.html", {"form": form, "workflow": workflow, "problems": problems})


@org_admin_required
@require_POST
def status_add(request, pk):
    workflow = _workflow(request, pk)
    form = StatusForm(request.POST, prefix="new")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, _("Statut non ajouté : %(error)s") % {"error": error})
        return redirect("workflows:edit", workflow.pk)
    workflow, result = _apply(request, pk, editing.add_status, **form.cleaned_data)
    if result is not None:
        messages.success(request, _("Statut « %(label)s » ajouté.") % {"label": form.cleaned_data["label"]})
    return redirect("workflows:edit", workflow.pk)


@org_admin_required
@require_http_methods(["GET", "POST"])
def status_edit(request, pk, sid):
    workflow = _workflow(request, pk)
    index, status = _status_or_404(workflow, sid)
    definition = workflow.definition
    form = StatusEditForm(request.POST or None, initial={
        "label": status.get("label"), "colour": status.get("colour"), "visible": status.get("visible", True),
        "final": status.get("final", False), "initial_status": definition.get("initial") == sid,
    })
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        initial = data.pop("initial_status")
        workflow, result = _apply(request, pk, editing.update_status, sid, initial=initial, **data)
        if result is not None:
            messages.success(request, _("Statut enregistré."))
            return redirect("workflows:status", workflow.pk, sid)
    location = f"statuses[{index}]"
    problems = [p for p in validate_workflow(definition) if p.location == location or
                p.location.startswith(location + ".")]
    return render(request, "workflows/status.html", {
        "workflow": workflow, "status": status, "form": form, "problems": problems,
        "on_enter": [(i, describe(a)) for i, a in enumerate(status.get("on_enter") or [])],
        "buttons": [(b, [describe(a) for a in b.get("actions") or []]) for b in status.get("buttons") or []
                    if isinstance(b, dict)],
        "timers": [(i, t) for i, t in enumerate(status.get("timers") or [])],
        "statuses": {s.get("id"): s.get("label") for s in definition.get("statuses") or [] if isinstance(s, dict)},
        "action_form": ActionForm(definition=definition, in_button=False, prefix="action", organisation=request.organisation),
        "button_form": ButtonForm(prefix="button"),
        "timer_form": TimerForm(prefix="timer", statuses=[s for s in definition["statuses"] if isinstance(s, dict)]),
    })


@org_admin_required
@require_POST
def status_delete(request, pk, sid):
    workflow = _workflow(request, pk)
    _status_or_404(workflow, sid)
    workflow, result = _apply(request, pk, editing.delete_status, sid)
    if result is None:
        return redirect("workflows:status", workflow.pk, sid)
    messages.success(request, _("Statut supprimé."))
    return redirect("workflows:edit", workflow.pk)


def _delta(request):
    return -1 if request.POST.get("direction") == "up" else 1


@org_admin_required
@require_POST
def status_move(request, pk, sid):
    workflow = _workflow(request, pk)
    _status_or_404(workflow, sid)
    _apply(request, pk, editing.move_status, sid, _delta(request))
    return redirect(reverse("workflows:edit", args=[workflow.pk]) + "#statuts")


def _form_errors_as_messages(request, form, prefix):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{prefix} {label + ' : ' if label else ''}{error}")


@org_admin_required
@require_http_methods(["GET", "POST"])
def action_add(request, pk, sid, bid=None):
    """Add an action to a status's on-enter actions (bid None) or to a button's actions."""
    workflow = _workflow(request, pk)
    _index, status = _status_or_404(workflow, sid)
    button = _button_or_404(status, bid) if bid else None
    form = ActionForm(request.POST or None, definition=workflow.definition, in_button=bid is not None,
                      prefix="action", organisation=request.organisation)
    back = (reverse("workflows:button", args=[workflow.pk, sid, bid]) if bid else _status_url(workflow, sid))
    if request.method == "POST" and form.is_valid():
        workflow, result = _apply(request, pk, editing.add_action, sid, bid, form.action)
        if result is not None:
            messages.success(request, _("Action ajoutée : %(action)s.") % {"action": describe(form.action)})
            return redirect(back)
    return render(request, "workflows/action_add.html", {
        "workflow": workflow, "status": status, "button": button, "form": form, "back": back,
    })


@org_admin_required
@require_POST
def action_delete(request, pk, sid, index, bid=None):
    workflow = _workflow(request, pk)
    _index, status = _status_or_404(workflow, sid)
    if bid:
        _button_or_404(status, bid)
    workflow, result = _apply(request, pk, editing.delete_action, sid, bid, index)
    if result is not None:
        messages.success(request, _("Action retirée."))
    return redirect(reverse("workflows:button", args=[pk, sid, bid]) if bid else _status_url(workflow, sid))


@org_admin_required
@require_POST
def action_move(request, pk, sid, index, bid=None):
    workflow = _workflow(request, pk)
    _index, status = _status_or_404(workflow, sid)
    if bid:
        _button_or_404(status, bid)
    _apply(request, pk, editing.move_action, sid, bid, index, _delta(request))
    return redirect(reverse("workflows:button", args=[pk, sid, bid]) if bid else _status_url(workflow, sid))


@org_admin_required
@require_POST
def button_add(request, pk, sid):
    workflow = _workflow(request, pk)
    _status_or_404(workflow, sid)
    form = ButtonForm(request.POST, prefix="button")
    if not form.is_valid():
        _form_errors_as_messages(request, form, _("Bouton non ajouté."))
        return redirect(_status_url(workflow, sid))
    workflow, result = _apply(request, pk, editing.add_button, sid, **form.cleaned_data)
    if result is None:
        return redirect(_status_url(workflow, sid))
    messages.success(request, _("Bouton ajouté : choisissez maintenant ses actions."))
    return redirect("workflows:button", workflow.pk, sid, result[1])


@org_admin_required
@require_http_methods(["GET", "POST"])
def button_edit(request, pk, sid, bid):
    workflow = _workflow(request, pk)
    index, status = _status_or_404(workflow, sid)
    button = _button_or_404(status, bid)
    form = ButtonForm(request.POST or None, initial={"label": button.get("label"), "roles": button.get("roles")})
    if request.method == "POST" and form.is_valid():
        workflow, result = _apply(request, pk, editing.update_button, sid, bid, **form.cleaned_data)
        if result is not None:
            messages.success(request, _("Bouton enregistré."))
            return redirect("workflows:button", workflow.pk, sid, bid)
    button_index = status["buttons"].index(button)
    location = f"statuses[{index}].buttons[{button_index}]"
    problems = [p for p in validate_workflow(workflow.definition)
                if p.location == location or p.location.startswith(location + ".")]
    return render(request, "workflows/button.html", {
        "workflow": workflow, "status": status, "button": button, "form": form, "problems": problems,
        "actions": [(i, describe(a)) for i, a in enumerate(button.get("actions") or [])],
        "action_form": ActionForm(definition=workflow.definition, in_button=True, prefix="action", organisation=request.organisation),
    })


@org_admin_required
@require_POST
def button_delete(request, pk, sid, bid):
    workflow = _workflow(request, pk)
    _index, status = _status_or_404(workflow, sid)
    _button_or_404(status, bid)
    workflow, result = _apply(request, pk, editing.delete_button, sid, bid)
    if result is not None:
        messages.success(request, _("Bouton supprimé."))
    return redirect(_status_url(workflow, sid))


@org_admin_required
@require_POST
def button_move(request, pk, sid, bid):
    workflow = _workflow(request, pk)
    _index, status = _status_or_404(workflow, sid)
    _button_or_404(status, bid)
    _apply(request, pk, editing.move_button, sid, bid, _delta(request))
    return redirect(_status_url(workflow, sid))


@org_admin_required
@require_POST
def timer_add(request, pk, sid):
    workflow = _workflow(request, pk)
    _status_or_404(workflow, sid)
    form = TimerForm(request.POST, prefix="timer",
                     statuses=[s for s in workflow.definition["statuses"] if isinstance(s, dict)])
    if not form.is_valid():
        _form_errors_as_messages(request, form, _("Délai non ajouté."))
        return redirect(_status_url(workflow, sid))
    workflow, result = _apply(request, pk, editing.add_timer, sid, form.timer())
    if result is not None:
        messages.success(request, _("Délai ajouté."))
    return redirect(_status_url(workflow, sid))


@org_admin_required
@require_POST
def timer_delete(request, pk, sid, index):
    workflow = _workflow(request, pk)
    _status_or_404(workflow, sid)
    workflow, result = _apply(request, pk, editing.delete_timer, sid, index)
    if result is not None:
        messages.success(request, _("Délai retiré."))
    return redirect(_status_url(workflow, sid))
