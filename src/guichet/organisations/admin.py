from django.contrib import admin

from .models import Host, Organisation


class HostInline(admin.TabularInline):
    model = Host
    extra = 1


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "insee_code", "intercommunality", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug", "insee_code")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [HostInline]
