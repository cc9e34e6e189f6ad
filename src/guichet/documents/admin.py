from django.contrib import admin

from .models import CitizenDocument


@admin.register(CitizenDocument)
class CitizenDocumentAdmin(admin.ModelAdmin):
    list_display = ("citizen", "document_type", "valid_until", "checked_at", "organisation")
    list_filter = ("organisation", "document_type")
    raw_id_fields = ("citizen", "checked_by", "source_attachment")
    search_fields = ("citizen__email", "original_name")
