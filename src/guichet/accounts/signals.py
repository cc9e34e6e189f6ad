"""Signals of the accounts app.

`citizen_erased(sender=User, user=user)` is sent by `accounts.services.erase_citizen` once the
citizen's own personal data is gone (inside the same transaction): every app that keeps records
about the citizen (requests, messages, appointments…) listens to it and anonymises its own rows.
"""

from django.dispatch import Signal

citizen_erased = Signal()
