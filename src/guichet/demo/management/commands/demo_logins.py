from django.core.management.base import BaseCommand

from guichet.agents.models import Membership
from guichet.demo.data import AGENTS, CITIZENS, COMMUNES, DEMO_PASSWORD, EPCI, OPERATOR_EMAIL, base32_secret, demo_totp_key


class Command(BaseCommand):
    help = "Affiche les identifiants de la démonstration."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **options):
        out = self.stdout.write
        out("")
        out("=" * 78)
        out(f"Guichet — démonstration sur http://127.0.0.1:{port}/ (liste des collectivités)")
        out(f"Mot de passe de tous les comptes : {DEMO_PASSWORD}")
        out(f"Opérateur de la plateforme (admin Django) : http://localhost:{port}/admin/  {OPERATOR_EMAIL}")
        for data in [EPCI, *COMMUNES]:
            slug = data["slug"]
            out("")
            out(f"{data['name']} — http://{slug}.localhost:{port}/")
            for local, *_ in CITIZENS:
                out(f"  usager  {local}@example.org")
            for local, _first, _last, role, is_admin, _title in AGENTS:
                email = f"{local}@{slug}.localhost"
                secret = base32_secret(demo_totp_key(f"{slug}:{email}"))
                label = "administrateur" if is_admin else Membership.Role(role).label
                out(f"  agent   {email:<40} ({label}) TOTP : {secret}")
        out("")
        out("Standard téléphonique simulé : un appel entrant sur le poste 204 (agent@…) de Saint-Aubin :")
        out(f"  curl -X POST http://saint-aubin.localhost:{port}/api/telephonie/appels-entrants/ \\")
        out("       -H 'Authorization: Bearer demo-telephonie-saint-aubin' -H 'Content-Type: application/json' \\")
        out("       -d '{\"call_id\": \"demo-1\", \"caller\": \"06 12 34 56 78\", \"extension\": \"204\"}'")
        out("")
        out("API REST (documentation : http://saint-aubin.localhost:%s/api/v1/docs) et Open311, client de démonstration :" % port)
        out(f"  curl http://saint-aubin.localhost:{port}/api/v1/requests -H 'Authorization: Bearer gapi_demo-saint-aubin'")
        out(f"  curl http://saint-aubin.localhost:{port}/open311/v2/services.json")
        out(f"  curl http://saint-aubin.localhost:{port}/open311/v2/requests.xml")
        out("  Guide : docs/api.md")
        out("")
        out("Agents : second facteur TOTP. Ajoutez la clé dans une application d'authentification, ou affichez")
        out("le code du moment :  .venv/bin/python manage.py demo_totp <courriel de l'agent>")
        out("=" * 78)
        out("")
