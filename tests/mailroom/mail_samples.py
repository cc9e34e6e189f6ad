"""Raw e-mail messages for the e-mail intake tests (built with the stdlib, as a mail client would)."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
import datetime

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def message(subject="Trou dans la chaussée", body="Bonjour,\nil y a un trou rue des Lilas.\n",
            sender=("Camille Martin", "camille.martin@example.org"), to="mairie@saint-aubin.example",
            message_id=True, html=None, attachments=(), extra_headers=None):
    mail = EmailMessage()
    mail["From"] = f"{sender[0]} <{sender[1]}>" if sender[0] else sender[1]
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.datetime(2026, 11, 30, 9, 15, tzinfo=datetime.UTC))
    if message_id:
        mail["Message-ID"] = message_id if isinstance(message_id, str) else make_msgid(domain="example.org")
    for name, value in (extra_headers or {}).items():
        mail[name] = value
    if body is not None:
        mail.set_content(body)
    if html is not None:
        if body is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    for name, content, maintype, subtype in attachments:
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()
