"""Models of citizen_records."""

from django.db import models  # noqa: F401
