from django.contrib import admin

from .models import HouseholdMember


@admin.register(HouseholdMember)
class HouseholdMemberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "relationship", "citizen", "organisation"]
    list_filter = ["organisation", "relationship"]
    search_fields = ["first_name", "last_name", "citizen__email"]
    raw_id_fields = ["citizen"]
