"""Pages of the directory (under /agents/annuaire/): the list and search for every verified agent; creating,
editing, deactivating, importing and exporting entries for the collectivité's administrators.

Every query starts from `request.organisation`: an entry of another collectivité is a 404.
"""

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.agents.permissions import agent_required, is_org_admin, org_admin_required

from . import imports, services
from .forms import ConfirmImportForm, EntryForm, ImportForm
from .models import DirectoryEntry, DirectoryImport

PER_PAGE = 50
SEARCH_LIMIT = 20


def _post(request):
    return request.POST if request.method == "POST" else None


def _search_context(request):
    query = request.GET.get("q", "")
    query = query.strip() if isinstance(query, str) else ""
    entries = services.search_directory(request.organisation, query, limit=SEARCH_LIMIT) if query else []
    return {"query": query, "entries": entries, "searched": bool(query),
            "searchable": bool(services.query_words(query)), "may_edit": is_org_admin(request.user)}


@agent_required
@require_GET
def entry_list(request):
    """The directory: the search box and, without a search, every entry (50 a page)."""
    context = _search_context(request)
    may_edit = context["may_edit"]
    show_inactive = may_edit and request.GET.get("desactivees") == "1"
    if not context["searched"]:
        page = Paginator(services.directory_entries(request.organisation, include_inactive=show_inactive),
                         PER_PAGE).get_page(request.GET.get("page"))
        context.update(page=page, entries=page.object_list)
    context["show_inactive"] = show_inactive
    return render(request, "directory/list.html", context)


@agent_required
@require_GET
def search(request):
    """Search results; with `partial=1`, only the results' fragment (`directory/_results.html`), for pages that
    show them inline (the contact centre's call screen)."""
    context = _search_context(request)
    if request.GET.get("partial") == "1":
        context["partial"] = True
        context["may_edit"] = False
        return render(request, "directory/_results.html", context)
    return render(request, "directory/list.html", context)


def _entry(request, pk):
    try:
        return services.entry_of(request.organisation, pk)
    except DirectoryEntry.DoesNotExist:
        raise Http404 from None


@org_admin_required
@require_http_methods(["GET", "POST"])
def entry_create(request):
    form = EntryForm(_post(request), organisation=request.organisation,
                     initial={"kind": request.GET.get("type") if request.GET.get("type") in
                              DirectoryEntry.Kind.values else DirectoryEntry.Kind.PERSON})
    if request.method == "POST":
        if form.is_valid():
            entry = form.save()
            messages.success(request, _("La fiche « %(name)s » est ajoutée à l'annuaire.") % {"name": entry})
            return redirect("directory:list")
        return render(request, "directory/entry_form.html", {"form": form}, status=400)
    return render(request, "directory/entry_form.html", {"form": form})


@org_admin_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, pk):
    entry = _entry(request, pk)
    form = EntryForm(_post(request), instance=entry, organisation=request.organisation)
    if request.method == "POST":
        if form.is_valid():
            entry = form.save()
            messages.success(request, _("La fiche « %(name)s » est enregistrée.") % {"name": entry})
            return redirect("directory:list")
        return render(request, "directory/entry_form.html", {"form": form, "entry": entry}, status=400)
    return render(request, "directory/entry_form.html", {"form": form, "entry": entry})


@org_admin_required
@require_POST
def entry_toggle(request, pk):
    entry = _entry(request, pk)
    services.set_active(entry, not entry.is_active)
    if entry.is_active:
        messages.success(request, _("La fiche « %(name)s » est de nouveau dans l'annuaire.") % {"name": entry})
    else:
        messages.success(request, _("La fiche « %(name)s » est désactivée : elle n'apparaît plus dans l'annuaire.")
                         % {"name": entry})
    return redirect("directory:list")


# --- CSV import and export ---------------------------------------------------------------------------------


@org_admin_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Step 1: the file. Read and checked (nothing written to the directory), kept for the preview."""
    form = ImportForm(_post(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text, encoding = imports.decode_file(upload.read(imports.MAX_BYTES + 1))
                imports.plan_import(request.organisation, text, encoding)
            except imports.ImportFileError as problem:
                form.add_error("file", problem.message)
            else:
                # One pending import per administrator: an earlier preview left unconfirmed goes.
                DirectoryImport.objects.of(request.organisation).filter(
                    created_by=request.user, applied_at__isnull=True).delete()
                pending = DirectoryImport.objects.create(
                    organisation=request.organisation, file_name=(upload.name or "")[:255], encoding=encoding,
                    text=text, created_by=request.user,
                )
                return redirect("directory:import_preview", pending.pk)
        return render(request, "directory/import.html", {"form": form}, status=400)
    return render(request, "directory/import.html", {"form": form})


@org_admin_required
@require_http_methods(["GET", "POST"])
def import_preview(request, pk):
    """Step 2: what each line would do and its errors; the choice about unknown services; then the import."""
    pending = get_object_or_404(DirectoryImport.objects.of(request.organisation), pk=pk)
    if pending.applied_at is not None:
        return render(request, "directory/import_done.html", {"pending": pending, "result": pending.result})
    try:
        plan = imports.plan_import(request.organisation, pending.text, pending.encoding)
    except imports.ImportFileError as problem:
        messages.error(request, problem.message)
        return redirect("directory:import")
    form = ConfirmImportForm(_post(request), unknown=bool(plan.unknown_services))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            create = form.cleaned_data.get("unknown_services") == ConfirmImportForm.CREATE
            try:
                result = imports.apply_import(request.organisation, pending.text, pending.encoding,
                                              create_services=create)
            except imports.ImportFileError as problem:
                messages.error(request, problem.message)
                return redirect("directory:import")
            pending.applied_at = timezone.now()
            pending.result = result.as_dict()
            pending.text = ""
            pending.save(update_fields=["applied_at", "result", "text"])
            messages.success(request, _("Import terminé : %(created)s fiche(s) créée(s), %(updated)s mise(s) à jour, "
                                        "%(left_out)s ligne(s) laissée(s) de côté.") % result.as_dict())
            return redirect("directory:import_preview", pending.pk)
        status = 400
    return render(request, "directory/import_preview.html", {
        "pending": pending, "plan": plan, "form": form,
        "created": plan.count("create"), "updated": plan.count("update"),
    }, status=status)


@org_admin_required
@require_GET
def export_csv(request):
    buffer = io.StringIO(newline="")
    imports.write_csv(request.organisation, buffer)
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    day = timezone.localdate().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="annuaire-{request.organisation.slug}-{day}.csv"'
    return response
