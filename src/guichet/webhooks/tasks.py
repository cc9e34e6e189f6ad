"""Background job of the outgoing webhooks (the workers import every app's `tasks` module)."""

from guichet.background.tasks import durable_task


@durable_task
def deliver(delivery_id, generation):
    """One try of a webhook delivery; the next try (back-off) is queued by the delivery itself.

    The HTTP failures are recorded, not raised: durable_task's own retries only cover a crash of this code
    (database unavailable, another worker holding the delivery).
    """
    from .services import send

    return send(delivery_id, generation)
