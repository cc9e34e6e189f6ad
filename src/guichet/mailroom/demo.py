"""Demo data of the mail room: two e-mails and one scanned letter waiting in a commune's to-qualify queue.

They enter through the real intake (`email_in.receive_raw_email`, `scans.register_scans`), so the demo's worker
parses the e-mails and reads the letter by OCR as it would in production. Idempotent: a commune that already has
incoming mail gets nothing more.
"""

import io
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from guichet.accounts.models import User

from .email_in import receive_raw_email
from .models import IncomingMail
from .scans import register_scans

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
EMAILS = [
    ("Camille Martin", "camille.martin@example.org", "Horaires d'ouverture de la déchèterie",
     "Bonjour,\n\nPourriez-vous me dire les horaires de la déchèterie le samedi ?\n\nMerci,\nCamille Martin"),
    ("Jean Dupont", "jean.dupont@example.net", "Arbre tombé chemin des Vignes",
     "Bonjour,\n\nDepuis la tempête de cette nuit, un arbre barre le chemin des Vignes à hauteur du numéro 12.\n"
     "Les voitures ne peuvent plus passer.\n\nJean Dupont\n06 98 76 54 32"),
]
LETTER = (
    "Madame, Monsieur,\n\nJe vous signale un dépôt sauvage de matelas\nrue de l'Église, derrière la boulangerie,"
    "\ndepuis une semaine.\n\nVeuillez agréer mes salutations.\nSuzanne Leroy"
)


def _email(organisation, name, address, subject, body):
    message = EmailMessage()
    message["From"] = f"{name} <{address}>"
    message["To"] = organisation.email or f"mairie@{organisation.slug}.localhost"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(body)
    return message.as_bytes()


def _letter_png(text):
    image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 40)
    for number, line in enumerate(text.split("\n")):
        draw.text((150, 300 + number * 70), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    return buffer.getvalue()


def load_demo(organisation):
    """Queue the demo e-mails and letter of `organisation` (processed by the worker) → how many were added."""
    if IncomingMail.objects.of(organisation).exists():
        return 0
    for name, address, subject, body in EMAILS:
        receive_raw_email(organisation, _email(organisation, name, address, subject, body),
                          source=IncomingMail.Source.INBOUND)
    agent = User.objects.filter(organisation=organisation, kind=User.Kind.AGENT, is_org_admin=True).first()
    scan = SimpleUploadedFile("courrier-leroy.png", _letter_png(LETTER), content_type="image/png")
    batch = register_scans(organisation, agent, [scan], sender_name="Suzanne Leroy")
    return len(EMAILS) + len(batch.mails)
