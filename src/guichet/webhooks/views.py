"""Administrators' pages of the outgoing webhooks (`/agents/admin/webhooks/`).

Every query starts from `request.organisation`: another collectivité's subscription or delivery is a 404. The
rules live in `services`.
"""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.agents.permissions import org_admin_required

from . import services
from .forms import DeliveryFilterForm, SubscriptionForm
from .models import Delivery, Subscription

PAGE_SIZE = 50


def _object_or_404(queryset, pk):
    if not 0 < pk < 2**63:
        raise Http404
    return get_object_or_404(queryset, pk=pk)


def _subscription(request, pk):
    return _object_or_404(Subscription.objects.of(request.organisation), pk)


def _secret_page(request, subscription, secret, created):
    response = render(request, "webhooks/secret.html", {
        "subscription": subscription, "secret": secret, "created": created,
    })
    response["Cache-Control"] = "no-store"
    return response


@org_admin_required
@require_GET
def subscription_list(request):
    subscriptions = Subscription.objects.of(request.organisation).prefetch_related("procedures")
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@org_admin_required
@require_http_methods(["GET", "POST"])
def subscription_create(request):
    form = SubscriptionForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST":
        if form.is_valid():
            subscription, secret = services.create_subscription(
                request.organisation, created_by=request.user, **form.service_arguments())
            return _secret_page(request, subscription, secret, created=True)
        return render(request, "webhooks/form.html", {"form": form}, status=400)
    return render(request, "webhooks/form.html", {"form": form})


@org_admin_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request, pk):
    subscription = _subscription(request, pk)
    if request.method == "POST":
        form = SubscriptionForm(request.POST, organisation=request.organisation)
        if form.is_valid():
            services.update_subscription(subscription, **form.service_arguments())
            messages.success(request, _("L'abonnement « %(name)s » est enregistré.") % {"name": subscription.name})
            return redirect("webhooks:list")
        return render(request, "webhooks/form.html", {"form": form, "subscription": subscription}, status=400)
    form = SubscriptionForm(initial=SubscriptionForm.initial_for(subscription), organisation=request.organisation)
    return render(request, "webhooks/form.html", {"form": form, "subscription": subscription})


@org_admin_required
@require_POST
def subscription_activation(request, pk):
    subscription = _subscription(request, pk)
    active = request.POST.get("active") == "1"
    services.set_active(subscription, active)
    if active:
        messages.success(request, _("L'abonnement « %(name)s » est réactivé.") % {"name": subscription.name})
    else:
        messages.success(request, _("L'abonnement « %(name)s » est désactivé : plus aucun événement ne lui est "
                                    "envoyé.") % {"name": subscription.name})
    return redirect("webhooks:list")


@org_admin_required
@require_POST
def subscription_renew(request, pk):
    subscription = _subscription(request, pk)
    secret = services.renew_secret(subscription)
    return _secret_page(request, subscription, secret, created=False)


@org_admin_required
@require_http_methods(["GET", "POST"])
def subscription_delete(request, pk):
    subscription = _subscription(request, pk)
    if request.method == "POST":
        name = subscription.name
        services.delete_subscription(subscription)
        messages.success(request, _("L'abonnement « %(name)s » et son journal d'envois sont supprimés.")
                         % {"name": name})
        return redirect("webhooks:list")
    return render(request, "webhooks/delete.html", {"subscription": subscription})


@org_admin_required
@require_POST
def subscription_ping(request, pk):
    subscription = _subscription(request, pk)
    delivery = services.send_ping(subscription)
    messages.success(request, _("Un événement de test (ping) est en file d'envoi vers %(url)s.")
                     % {"url": subscription.url})
    return redirect("webhooks:delivery", pk=delivery.pk)


@org_admin_required
@require_GET
def delivery_list(request):
    form = DeliveryFilterForm(request.GET or None, organisation=request.organisation)
    deliveries = form.filter(Delivery.objects.of(request.organisation).select_related("subscription")).defer("body")
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "webhooks/deliveries.html", {"form": form, "page": page}, status=status)


@org_admin_required
@require_GET
def delivery_detail(request, pk):
    delivery = _object_or_404(Delivery.objects.of(request.organisation).select_related("subscription"), pk)
    try:
        pretty = json.dumps(json.loads(delivery.body), ensure_ascii=False, indent=2)
    except ValueError:
        pretty = delivery.body
    return render(request, "webhooks/delivery.html", {
        "delivery": delivery, "attempts": delivery.tries.all(), "payload": pretty,
    })


@org_admin_required
@require_POST
def delivery_replay(request, pk):
    delivery = _object_or_404(Delivery.objects.of(request.organisation), pk)
    try:
        services.replay(delivery)
    except services.DeliveryRefused as refused:
        messages.error(request, refused.message)
        return redirect("webhooks:delivery", pk=delivery.pk)
    messages.success(request, _("L'envoi est rejoué : le même contenu part dans un nouvel essai."))
    return redirect("webhooks:delivery", pk=delivery.pk)
