"""`{% unread_notifications user as count %}`: the unread count shown in the menu (one COUNT query)."""

from django import template

from ..services import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user):
    if not getattr(user, "is_authenticated", False) or not user.organisation_id:
        return 0
    return unread_count(user)
