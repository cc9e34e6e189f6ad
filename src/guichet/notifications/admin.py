"""Notifications in the platform operators' admin (bare host only): read-only lists, and a retry action
for failed deliveries (the same rule as the collectivités' delivery log: `services.retry_delivery`)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Delivery, DeliveryEvent, MessageTemplate, Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the service records is evidence: operators look, they do not rewrite it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdmin):
    list_display = ["key", "organisation", "subject", "updated_at", "updated_by"]
    list_filter = ["organisation", "key"]
    search_fields = ["key", "subject"]
    list_select_related = ["organisation", "updated_by"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["subject", "key", "recipient", "organisation", "created_at", "read_at"]
    list_filter = ["organisation", "key"]
    search_fields = ["subject", "recipient__email", "recipient__last_name"]
    date_hierarchy = "created_at"
    list_select_related = ["organisation", "recipient"]


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    fields = ["at", "kind", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "organisation", "status", "attempts", "queued_at", "sent_at", "last_error"]
    list_filter = ["organisation", "channel", "status"]
    search_fields = ["address", "provider_id", "notification__subject"]
    date_hierarchy = "queued_at"
    list_select_related = ["organisation"]
    inlines = [DeliveryEventInline]
    actions = ["retry"]

    @admin.action(permissions=["retry"], description=_("Relancer les envois en échec sélectionnés"))
    def retry(self, request, queryset):
        retried = sum(services.retry_delivery(delivery) for delivery in queryset)
        self.message_user(request, ngettext(
            "%(count)d envoi relancé (les envois qui n'étaient pas en échec sont laissés tels quels).",
            "%(count)d envois relancés (les envois qui n'étaient pas en échec sont laissés tels quels).",
            retried,
        ) % {"count": retried}, messages.SUCCESS if retried else messages.WARNING)

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.change_delivery")  # superusers have every permission


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "kind", "at", "organisation", "detail"]
    list_filter = ["organisation", "kind"]
    list_select_related = ["organisation", "delivery"]
