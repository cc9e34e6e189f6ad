"""Notification pages: « Mes notifications » (citizens and agents), the message-template editor
(administrators) and the delivery log (agents).

Every query goes through `request.organisation`: another collectivité's notification, delivery or template
is a 404. The rules live in `services`; these views turn their outcomes into pages and messages.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.accounts.views import citizen_required
from guichet.agents.permissions import agent_required, is_org_admin, is_service_manager, org_admin_required
from guichet.organisations.services import safe_next
from guichet.sms import gsm
from guichet.sms.services import preview as sms_preview

from . import services
from .catalogue import COMMON_VARIABLES, KINDS, sample_context
from .forms import DeliveryFilterForm, MessageTemplateForm, TestMessageForm
from .models import Channel, Delivery, DeliveryEvent, MessageTemplate, Notification
from .rendering import TemplateProblem, render_texts

NOTIFICATIONS_PER_PAGE = 20
DELIVERIES_PER_PAGE = 25
RETRYABLE = (Delivery.Status.FAILED, Delivery.Status.BOUNCED)


# --- « Mes notifications » -------------------------------------------------------------------------


def _my_notifications(request):
    return Notification.objects.of(request.organisation).filter(recipient=request.user)


def _safe_link(link):
    """The notification's link when it is a web address or a path of this site (never `javascript:`)."""
    return link if link.startswith(("/", "https://", "http://")) and not link.startswith("//") else ""


def _notification_list(request, namespace):
    paginator = Paginator(
        _my_notifications(request).only("pk", "subject", "created_at", "read_at"), NOTIFICATIONS_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {
        "page": page, "namespace": namespace,
        "has_unread": _my_notifications(request).filter(read_at__isnull=True).exists(),
    })


def _notification_detail(request, pk, namespace):
    notification = get_object_or_404(_my_notifications(request), pk=pk)
    was_unread = not notification.is_read
    services.mark_read(notification)
    return render(request, "notifications/notification_detail.html", {
        "notification": notification, "namespace": namespace, "was_unread": was_unread,
        "link": _safe_link(notification.link),
    })


def _mark_all_read(request, namespace):
    count = services.mark_all_read(request.user)
    if count:
        messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    else:
        messages.info(request, _("Vous n'aviez aucune notification non lue."))
    return redirect(f"{namespace}:list")


@citizen_required
@require_GET
def notification_list(request):
    return _notification_list(request, "notifications")


@citizen_required
@require_GET
def notification_detail(request, pk):
    return _notification_detail(request, pk, "notifications")


@citizen_required
@require_POST
def mark_all_read(request):
    return _mark_all_read(request, "notifications")


@agent_required
@require_GET
def agent_notification_list(request):
    return _notification_list(request, "agent_notifications")


@agent_required
@require_GET
def agent_notification_detail(request, pk):
    return _notification_detail(request, pk, "agent_notifications")


@agent_required
@require_POST
def agent_mark_all_read(request):
    return _mark_all_read(request, "agent_notifications")


# --- Message templates (administrators) ------------------------------------------------------------


def _kind_or_404(key):
    kind = KINDS.get(key)
    if kind is None:
        raise Http404(key)
    return kind


def _custom_template(request, key):
    return MessageTemplate.objects.of(request.organisation).filter(key=key).select_related("updated_by").first()


@org_admin_required
@require_GET
def template_list(request):
    custom = {
        template.key: template
        for template in MessageTemplate.objects.of(request.organisation).select_related("updated_by")
    }
    return render(request, "notifications/template_list.html", {
        "rows": [(kind, custom.get(kind.key)) for kind in KINDS.values()],
    })


def _preview_context(organisation, kind):
    """The sample values of the catalogue, with the collectivité's own name and details where it has them."""
    context = sample_context(kind)
    own = {"nom": organisation.name, "adresse": " ".join(organisation.address.split()), "telephone": organisation.phone}
    context["collectivite"] = {name: own[name] or sample for name, sample in context["collectivite"].items()}
    return context


def _preview(organisation, kind, texts):
    rendered = render_texts(texts, _preview_context(organisation, kind))
    sms_text, sms = sms_preview(organisation, rendered.sms_text)
    return {
        "message": rendered, "sms_text": sms_text, "sms": sms, "sms_transliterated": sms_text != rendered.sms_text,
        "sms_encoding": _("alphabet GSM") if sms.encoding == gsm.GSM else _("Unicode (caractères hors alphabet GSM)"),
    }


def _variables(kind):
    return [
        {"name": name, "description": description, "sample": sample}
        for name, (description, sample) in kind.all_variables.items()
    ]


def _render_editor(request, kind, form, *, custom, preview=None, test_form=None, status=200):
    return render(request, "notifications/template_edit.html", {
        "kind": kind, "form": form, "custom": custom, "preview": preview,
        "test_form": test_form or TestMessageForm(prefix="essai", initial={"channel": request.user.preferred_channel}),
        "variables": _variables(kind), "common_variables": COMMON_VARIABLES,
    }, status=status)


@org_admin_required
@require_http_methods(["GET", "POST"])
def template_edit(request, key):
    """Edit one kind of message. « Aperçu » renders the submitted texts without saving; « Enregistrer » saves."""
    kind = _kind_or_404(key)
    custom = _custom_template(request, key)
    source = custom or kind
    initial = {name: getattr(source, name) for name in ("subject", "body", "sms_text", "letter_text")}
    form = MessageTemplateForm(request.POST if request.method == "POST" else None, initial=initial, key=key)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            try:
                preview = _preview(request.organisation, kind, form.texts())
            except TemplateProblem as problem:
                form.add_error(None, problem.message)
        else:
            try:
                services.save_template(request.organisation, key, form.texts(), user=request.user)
            except services.TemplateRefused as refused:
                for name, problem in refused.problems.items():
                    form.add_error(name, problem)
            else:
                messages.success(request, _("Le message « %(label)s » est enregistré.") % {"label": kind.label})
                return redirect("message_templates:edit", key=key)
    return _render_editor(request, kind, form, custom=custom, preview=preview)


@org_admin_required
@require_POST
def template_reset(request, key):
    kind = _kind_or_404(key)
    if services.reset_template(request.organisation, key):
        messages.success(request, _("Le message « %(label)s » reprend le texte par défaut.") % {"label": kind.label})
    else:
        messages.info(request, _("Le message « %(label)s » utilisait déjà le texte par défaut.") % {
            "label": kind.label})
    return redirect("message_templates:edit", key=key)


@org_admin_required
@require_POST
def template_test(request, key):
    """Send this message (as saved, with the sample values of its own variables) to the administrator."""
    kind = _kind_or_404(key)
    test_form = TestMessageForm(request.POST, prefix="essai")
    if not test_form.is_valid():
        custom = _custom_template(request, key)
        source = custom or kind
        form = MessageTemplateForm(
            initial={name: getattr(source, name) for name in ("subject", "body", "sms_text", "letter_text")}, key=key
        )
        return _render_editor(request, kind, form, custom=custom, test_form=test_form, status=400)
    common = ("collectivite", "destinataire", "lien")  # the real ones are the administrator's and the collectivité's
    own_variables = {name: value for name, value in sample_context(kind).items() if name not in common}
    link = request.build_absolute_uri(reverse("agent_notifications:list"))
    asked = Channel(test_form.cleaned_data["channel"])
    try:
        notification = services.notify(request.user, key, own_variables, link=link, channel=asked)
    except TemplateProblem as problem:
        messages.error(request, _("L'essai n'a pas pu être préparé : %(problem)s") % {"problem": problem.message})
        return redirect("message_templates:edit", key=key)
    delivery = notification.deliveries.first()
    if delivery is None:
        messages.error(request, _(
            "L'essai n'est pas parti : votre compte n'a ni adresse électronique, ni numéro de téléphone, ni adresse "
            "postale. Il figure tout de même dans vos notifications."))
    elif delivery.channel != asked:
        messages.warning(request, _(
            "Vous n'avez pas d'adresse pour le canal « %(asked)s » : l'essai part par %(channel)s à %(address)s."
        ) % {"asked": asked.label, "channel": delivery.get_channel_display(), "address": delivery.address})
    else:
        messages.success(request, _("L'essai est en file d'envoi : %(channel)s à %(address)s.") % {
            "channel": delivery.get_channel_display(), "address": delivery.address})
    return redirect("message_templates:edit", key=key)


# --- Delivery log (agents) -------------------------------------------------------------------------


def can_retry(user):
    """Organisation administrators and service managers may send a failed delivery again."""
    return is_org_admin(user) or is_service_manager(user)


def _deliveries(request):
    return Delivery.objects.of(request.organisation).select_related("notification__recipient")


@agent_required
@require_GET
def delivery_list(request):
    form = DeliveryFilterForm(request.GET or None)
    deliveries = _deliveries(request)
    if form.is_bound:
        form.is_valid()  # errors are shown; only the valid filters apply
        deliveries = form.filter(deliveries)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/delivery_list.html", {
        "form": form, "page": page, "can_retry": can_retry(request.user), "retryable": RETRYABLE,
    })


@agent_required
@require_GET
def delivery_detail(request, pk):
    delivery = get_object_or_404(_deliveries(request), pk=pk)
    return render(request, "notifications/delivery_detail.html", {
        "delivery": delivery,
        "events": DeliveryEvent.objects.of(request.organisation).filter(delivery=delivery),
        "can_retry": can_retry(request.user) and delivery.status in RETRYABLE,
    })


@agent_required
@require_POST
def delivery_retry(request, pk):
    delivery = get_object_or_404(_deliveries(request), pk=pk)
    if not can_retry(request.user):
        raise PermissionDenied
    if services.retry_delivery(delivery):
        messages.success(request, _("L'envoi à %(address)s est relancé.") % {"address": delivery.address})
    else:
        messages.error(request, _("Cet envoi n'est pas en échec : il n'a pas été relancé."))
    return redirect(safe_next(request, request.POST.get("next"))
                    or reverse("agent_notifications:delivery_detail", args=[delivery.pk]))
