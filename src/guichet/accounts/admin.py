"""Accounts in the platform operators' admin (bare host only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "get_full_name", "kind", "organisation", "email_confirmed", "is_active"]
    list_filter = ["kind", "organisation", "email_confirmed", "is_active", "is_org_admin"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["organisation__name", "kind", "last_name", "email"]
    readonly_fields = ["password", "last_login", "date_joined", "anonymised_at"]
    fieldsets = [
        (None, {"fields": ["organisation", "kind", "email", "email_confirmed", "password"]}),
        (_("Identité"), {"fields": ["civility", "first_name", "last_name", "birth_date"]}),
        (_("Coordonnées"), {
            "fields": ["address_line", "address_complement", "postcode", "city", "phone", "preferred_channel"],
        }),
        (_("Agent"), {"fields": ["is_org_admin", "job_title"]}),
        (_("État du compte"), {
            "fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined", "anonymised_at"],
        }),
    ]

    @admin.display(description=_("nom"))
    def get_full_name(self, user):
        return user.get_full_name()
