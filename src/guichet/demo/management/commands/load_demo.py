from django.core.management.base import BaseCommand

from guichet.demo.data import load_demo


class Command(BaseCommand):
    help = "Crée ou met à jour les collectivités de démonstration (idempotent)."

    def handle(self, *args, **options):
        logins = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Démonstration chargée : {len(logins)} comptes."))
