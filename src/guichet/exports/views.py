"""Agents' exports: ask for one (the buttons of the queue and search pages), follow it, download it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from guichet.agents.permissions import agent_required

from . import services
from .formats import BY_CODE

PAGE_SIZE = 25
REFRESH_SECONDS = 2


@require_POST
@agent_required
def create(request):
    try:
        export = services.create_export(
            request.user, request.organisation, source=request.POST.get("source", ""),
            params=request.POST.get("params", ""), format=request.POST.get("format", ""),
        )
    except services.ExportRefused as refusal:
        for message in refusal.messages:
            messages.error(request, message)
        return redirect(_back_to(request))
    messages.success(request, _("Votre export est demandé : il sera prêt dans quelques instants."))
    return redirect("exports:detail", pk=export.pk)


def _back_to(request):
    """The page the buttons were on (same host only), else the list of exports."""
    from guichet.organisations.services import safe_next

    return safe_next(request, request.META.get("HTTP_REFERER", "")) or "exports:list"


@never_cache
@agent_required
def export_list(request):
    exports = services.exports_visible_to(request.user, request.organisation).order_by("-created_at", "-pk")
    page = Paginator(exports, PAGE_SIZE).get_page(request.GET.get("page"))
    for export in page:
        export.name = services.export_name(export)
    return render(request, "exports/list.html", {"page": page, "exports": page.object_list})


@never_cache
@agent_required
def detail(request, pk):
    export = get_object_or_404(services.exports_visible_to(request.user, request.organisation), pk=pk)
    return render(request, "exports/detail.html", {
        "export": export, "name": services.export_name(export), "refresh_seconds": REFRESH_SECONDS,
        "format": BY_CODE[export.format],
    })


@never_cache
@agent_required
def download(request, pk):
    export = get_object_or_404(services.exports_visible_to(request.user, request.organisation), pk=pk)
    if export.state != export.State.DONE or not export.file:
        raise Http404
    try:
        content = export.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        content, as_attachment=True, filename=services.download_name(export),
        content_type=BY_CODE[export.format].content_type,
    )
