"""Administration pages of the connectors (administrators of the collectivité only)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.permissions import org_admin_required

from . import services
from .forms import MASK, ConnectionTestForm, ConnectorForm
from .models import Connector


def _connector(request, pk):
    if not 0 < pk < 2**63:
        raise Http404
    return get_object_or_404(Connector.objects.of(request.organisation), pk=pk)


@org_admin_required
def connector_list(request):
    connectors = Connector.objects.of(request.organisation).order_by("name", "pk")
    return render(request, "connectors/list.html", {"connectors": connectors})


@org_admin_required
@require_http_methods(["GET", "POST"])
def create(request):
    form = ConnectorForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST":
        if form.is_valid():
            connector = form.save()
            messages.success(request, _("Le connecteur « %(name)s » est enregistré.") % {"name": connector.name})
            return redirect("connectors:edit", connector.pk)
        return render(request, "connectors/form.html", {"form": form}, status=400)
    return render(request, "connectors/form.html", {"form": form})


def _edit_page(request, connector, form, test_form, *, result=None, status=200):
    return render(request, "connectors/form.html", {
        "connector": connector, "form": form, "test_form": test_form, "result": result, "mask": MASK,
    }, status=status)


@org_admin_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    connector = _connector(request, pk)
    form = ConnectorForm(request.POST or None, instance=connector, organisation=request.organisation)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Le connecteur « %(name)s » est enregistré.") % {"name": connector.name})
            return redirect("connectors:edit", connector.pk)
        connector.refresh_from_db()
        return _edit_page(request, connector, form, ConnectionTestForm(), status=400)
    return _edit_page(request, connector, form, ConnectionTestForm())


@org_admin_required
@require_POST
def test(request, pk):
    """« Tester la connexion »: a GET on the base URL (or the given path), its result shown on the page."""
    connector = _connector(request, pk)
    test_form = ConnectionTestForm(request.POST)
    form = ConnectorForm(instance=connector, organisation=request.organisation)
    if not test_form.is_valid():
        return _edit_page(request, connector, form, test_form, status=400)
    ok, summary, response = services.try_connection(connector, test_form.cleaned_data["path"])
    body = (getattr(response, "text", None) or getattr(response, "body", "") or "")[:2048]
    return _edit_page(request, connector, form, test_form, result={"ok": ok, "summary": summary, "body": body})


@org_admin_required
@require_POST
def toggle(request, pk):
    connector = _connector(request, pk)
    connector.is_active = not connector.is_active
    connector.save(update_fields=["is_active", "updated_at"])
    if connector.is_active:
        messages.success(request, _("Le connecteur « %(name)s » est réactivé.") % {"name": connector.name})
    else:
        messages.success(request, _("Le connecteur « %(name)s » est désactivé : les circuits qui l'appellent "
                                    "l'indiquent sur la demande, sans appeler le service.") % {"name": connector.name})
    return redirect("connectors:list")
