"""Models of contact_centre."""

from django.db import models  # noqa: F401
