"""One chronological history of a citizen's contacts with the collectivité, whatever the channel.

Each app that records contacts provides `history_items(organisation, citizen)` in its own `history.py`, listed
in PROVIDERS; each provider makes a bounded, constant number of queries (no query per item) and returns
`HistoryItem`s. `citizen_history` merges them, most recent first.
"""

from dataclasses import dataclass, field
from importlib import import_module

PROVIDERS = [
    "guichet.citizen_records.providers",  # requests (web, counter, phone…) and notifications sent
    "guichet.contact_centre.history",     # calls and visits at the counter
    "guichet.mailroom.history",           # e-mails and letters received
]


@dataclass
class HistoryItem:
    at: object                  # aware datetime
    channel: str                # "web", "phone", "counter", "email", "postal", "sms", "letter", "api"…
    kind: str                   # short machine name: "request", "draft", "call", "visit", "mail", "notification"
    label: str                  # French one-line summary: « Demande envoyée : Signalement voirie »
    detail: str = ""            # a second line (status, outcome, subject…)
    url: str = ""               # where an agent reads more ("" when nothing to open)
    agent: str = ""             # who handled it on the collectivité's side, when known
    extra: dict = field(default_factory=dict)


def citizen_history(organisation, citizen, limit=200):
    """Every provider's items for this citizen of this collectivité, most recent first (at most `limit`)."""
    items = []
    for path in PROVIDERS:
        try:
            module = import_module(path)
        except ModuleNotFoundError as error:
            if error.name != path:
                raise
            continue
        items.extend(module.history_items(organisation, citizen))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]
