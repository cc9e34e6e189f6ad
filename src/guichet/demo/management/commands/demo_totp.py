from django.core.management.base import BaseCommand, CommandError

from guichet.demo.data import current_code
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Affiche le code TOTP du moment d'un agent de démonstration."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        devices = TOTPDevice.objects.filter(user__email=email.lower(), confirmed=True, name="Démonstration")
        if not devices:
            raise CommandError(f"Aucun agent de démonstration n'a l'adresse {email}.")
        for device in devices.select_related("user__organisation"):
            self.stdout.write(f"{device.user.organisation.slug}: {current_code(device.key)}")
