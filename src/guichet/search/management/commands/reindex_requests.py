"""`manage.py reindex_requests [--organisation slug] [--batch-size N]`: (re)build the search index of requests."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guichet.organisations.models import Organisation
from guichet.search.services import BATCH_SIZE, reindex_requests


class Command(BaseCommand):
    help = "(Re)build the search index of submitted requests, in batches (one transaction per batch)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", metavar="SLUG", help="only this collectivité's requests")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"requests per batch ({BATCH_SIZE})")

    def handle(self, *args, organisation=None, batch_size=BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError(_("La taille des lots doit être d'au moins 1."))
        target = None
        if organisation:
            target = Organisation.objects.filter(slug=organisation).first()
            if target is None:
                raise CommandError(_("Aucune collectivité n'a l'identifiant « %(slug)s ».") % {"slug": organisation})
        started = time.monotonic()
        verbose = options.get("verbosity", 1) > 1

        def progress(count):
            if verbose:
                self.stdout.write(f"{count}…")

        count = reindex_requests(target, batch_size=batch_size, progress=progress)
        self.stdout.write(_("%(count)s demandes indexées en %(seconds).1f s.") % {
            "count": count, "seconds": time.monotonic() - started})
