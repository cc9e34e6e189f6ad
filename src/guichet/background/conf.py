"""The background settings, with their defaults (settings.py may set them from the environment)."""

import datetime

from django.conf import settings


def heartbeat_interval():
    """Seconds between two ticks of a worker's scheduler thread (heartbeat, periodic jobs, recovery)."""
    return float(getattr(settings, "GUICHET_WORKER_HEARTBEAT_SECONDS", 5))


def stale_after():
    """A worker silent this long is taken for dead: its RUNNING jobs go back to the queue."""
    return datetime.timedelta(seconds=float(getattr(settings, "GUICHET_WORKER_STALE_SECONDS", 120)))


def max_lost_workers():
    """A job whose worker died this many times is failed for good rather than handed out again."""
    return int(getattr(settings, "GUICHET_WORKER_MAX_LOST", 3))


def keep_days():
    """Successful job rows and old bookkeeping rows are deleted after this many days."""
    return int(getattr(settings, "GUICHET_TASK_KEEP_DAYS", 30))
