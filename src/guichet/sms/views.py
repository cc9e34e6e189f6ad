"""The providers' receipt callback (public, token in the URL) and the administrators' SMS page."""

import logging
import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.permissions import org_admin_required

from . import services
from .forms import SmsSettingsForm, TrialSmsForm
from .gateways import SmsError
from .receipts import MalformedReceipt, parse_receipts

logger = logging.getLogger(__name__)


def _plain(text, status):
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def receipt(request, token):
    """Delivery receipts from the provider: 200 once handled (or repeated), 400 unreadable, 503 retry later."""
    organisation = getattr(request, "organisation", None)
    config = services.settings_for_token(organisation, token) if organisation else None
    if config is None:
        raise Http404
    try:
        receipts = parse_receipts(request)
    except MalformedReceipt as error:
        logger.warning("Unreadable SMS receipt for %s: %s", organisation, error)
        return _plain(_("Accusé de réception illisible : %(error)s") % {"error": error}, 400)
    try:
        for item in receipts:
            services.record_receipt(organisation, item)
    except services.ReceiptHandlerUnavailable:
        return _plain(_("Service momentanément indisponible, réessayez plus tard."), 503)
    return _plain("OK", 200)


def _page(request, form, test_form, config):
    return render(request, "sms/admin/settings.html", {
        "form": form, "test_form": test_form, "config": config,
        "receipt_url": services.receipt_url(request.organisation, config),
    })


@org_admin_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    config = services.get_settings(request.organisation)
    form = SmsSettingsForm(request.POST or None, instance=config, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Les réglages SMS sont enregistrés."))
        return redirect("sms_admin:settings")
    return _page(request, form, TrialSmsForm(), config)


@org_admin_required
@require_POST
def send_test(request):
    config = services.get_settings(request.organisation)
    test_form = TrialSmsForm(request.POST)
    if not test_form.is_valid():
        form = SmsSettingsForm(instance=config, organisation=request.organisation)
        return _page(request, form, test_form, config)
    phone = test_form.cleaned_data["phone"]
    try:
        sent = services.send_test_sms(request.organisation, phone, reference=f"essai-{uuid.uuid4().hex[:12]}")
    except SmsError as error:
        messages.error(request, _("Le SMS d'essai n'est pas parti : %(error)s") % {"error": error})
    else:
        messages.success(request, _(
            "SMS d'essai envoyé au %(phone)s (%(segments)s SMS, identifiant chez le fournisseur : %(id)s)."
        ) % {"phone": phone, "segments": sent.segments, "id": sent.provider_id})
    return redirect("sms_admin:settings")
