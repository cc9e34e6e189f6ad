"""Administrators' pages of the API clients (/agents/admin/api/)."""

urlpatterns = []
