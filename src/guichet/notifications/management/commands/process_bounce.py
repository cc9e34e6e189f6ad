"""`manage.py process_bounce < message.eml`: record one bounce, read from standard input (for an MTA pipe).

Exit status, as an MTA expects from a pipe: 0 when the message was read (recorded, ignored or unmatched —
the reason is printed), 75 (EX_TEMPFAIL: the MTA keeps the message and tries again) when the database
cannot be reached, 65 (EX_DATAERR) when the input is not an e-mail message at all.
"""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from guichet.notifications.bounces import MAX_BOUNCE_SIZE, MalformedBounce, process_bounce

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "Enregistre un rejet de courriel (bounce) lu sur l'entrée standard, par exemple depuis un alias "
        "« |manage.py process_bounce » du serveur de courrier."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient", default="",
            help="Adresse à laquelle le rejet a été remis (adresse VERP), si le serveur de courrier la fournit "
            "(Postfix : ${recipient}).",
        )

    def handle(self, *args, recipient, stdin=None, **options):
        stream = stdin or sys.stdin.buffer
        raw = stream.read(MAX_BOUNCE_SIZE + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            outcome = process_bounce(raw, envelope_recipient=recipient)
        except MalformedBounce as error:
            self.stderr.write(f"Message illisible : {error}")
            sys.exit(EX_DATAERR)
        except DatabaseError as error:
            self.stderr.write(f"Base de données indisponible, réessayez plus tard : {error}")
            sys.exit(EX_TEMPFAIL)
        if outcome.delivery is not None:
            self.stdout.write(f"{outcome.result} : envoi {outcome.delivery.pk} ({outcome.reason or 'ok'})")
        else:
            self.stdout.write(f"{outcome.result} ({outcome.reason})")
