"""A citizen who deletes their account: their messages are erased; the delivery log keeps only the facts."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from guichet.accounts.signals import citizen_erased

from .models import Delivery, DeliveryEvent, Notification


@receiver(citizen_erased)
def erase_notifications(sender, user, **kwargs):
    Notification.objects.filter(recipient=user).update(subject=_("Message effacé"), body="", link="")
    deliveries = Delivery.objects.filter(notification__recipient=user)
    DeliveryEvent.objects.filter(delivery__in=deliveries).update(detail="")
    deliveries.update(address="", content="", result="", last_error="")
