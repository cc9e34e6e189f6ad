"""The request timeline → outgoing webhooks: every new `RequestEvent` is looked at, inside its transaction."""


def request_event_saved(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    from .services import emit

    emit(instance)
