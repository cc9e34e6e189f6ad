"""Montclair's objects of the omnichannel apps, and the GUESSES entries that try to reach them from Saint-Aubin.

`montclair_objects(organisation, o)` adds to the `other` fixture's dict `o` (it needs its citizen, agent and
service): a citizen record created by an agent (no password, so an invitation would really be sent), an online
draft of Montclair's citizen and a submitted request, a ringing incoming call, a contact, a telephony secret, a theme and a sheet, a
directory entry and a pending directory import, an e-mail to qualify with its attachment, a scanned letter already
read, a mailbox. `omnichannel_guesses()` gives, for every URL of these apps that takes an identifier, who tries it
and how its identifiers are made from `o`. `omnichannel_snapshot()` is everything of these apps an attack could
change.
"""

from django.core import mail as outbox
from django.utils import timezone

SCAN_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
           b"trailer<</Root 1 0 R>>\n%%EOF\n"
DIRECTORY_CSV = "nom;prénom;fonction;courriel\nPirate;Paul;Pirate;paul.pirate@example.org\n"


def montclair_objects(organisation, o):
    from guichet.citizen_records.services import create_citizen
    from guichet.contact_centre import services as contact_centre
    from guichet.contact_centre.models import Contact
    from guichet.directory.models import DirectoryImport
    from guichet.mailroom.models import IncomingMail, Mailbox
    from guichet.service_requests.models import ServiceRequest
    from tests.directory.conftest import make_entry
    from tests.documents.builders import make_request, make_version
    from tests.knowledge.conftest import make_sheet, make_theme
    from tests.mailroom.conftest import store_mail

    record = create_citizen(organisation, o["agent"], first_name="Lucie", last_name="Fiche",
                            email="lucie.fiche@example.org", phone="+33612345678")
    draft = make_request(make_version(organisation, o["service"], slug="brouillon-montclair"), citizen=o["citizen"],
                         state=ServiceRequest.State.DRAFT)
    submitted = make_request(draft.version, citizen=o["citizen"])  # a message could be added to it
    call, _created = contact_centre.receive_call(organisation, call_id="montclair-1", caller="0612345678",
                                                 extension="")
    contact = contact_centre.start_contact(organisation, o["agent"], Contact.Kind.CALL)  # nobody attached yet
    secret, _clear = contact_centre.generate_secret(organisation, label="Standard de Montclair")
    theme = make_theme(organisation, name="État civil de Montclair")
    sheet = make_sheet(organisation, theme, o["service"], question="Acte de naissance à Montclair", is_public=True)
    entry = make_entry(organisation, first_name="Gaston", last_name="Graffiti", missions="graffitis de Montclair",
                       email="gaston@montclair.example.org")
    directory_import = DirectoryImport.objects.create(organisation=organisation, file_name="annuaire.csv",
                                                      encoding="UTF-8", text=DIRECTORY_CSV, created_by=o["agent"])
    email = store_mail(organisation, sender_email=o["citizen"].email, sender_name="Madame Victime",
                       subject="Ma demande à Montclair", body="Bonjour, voici ma question.",
                       received_at=timezone.now(), files=[("justificatif.pdf", SCAN_PDF, "application/pdf", "")])
    letter = store_mail(organisation, channel=IncomingMail.Channel.POSTAL, received_at=timezone.now(),
                        files=[("scan.pdf", SCAN_PDF, "application/pdf", "")])
    IncomingMail.objects.filter(pk__in=[email.pk, letter.pk]).update(state=IncomingMail.State.TO_QUALIFY)
    IncomingMail.objects.filter(pk=letter.pk).update(ocr_status=IncomingMail.OcrStatus.DONE, ocr_text="Lettre")
    mailbox = Mailbox.objects.create(organisation=organisation, name="Accueil de Montclair",
                                     host="imap.montclair.example.org", username="accueil", password="secret")
    return {
        "organisation": organisation, "record": record, "draft": draft, "submitted": submitted, "call": call, "contact": contact,
        "secret": secret, "theme": theme, "sheet": sheet, "entry": entry, "directory_import": directory_import,
        "mail": email, "mail_attachment": email.attachments.get(), "letter": letter, "mailbox": mailbox,
    }


def _pk(key):
    return lambda o: {"pk": o[key].pk}


def omnichannel_guesses():
    from tests.contact_centre.test_isolation import GUESSES as CONTACT_CENTRE
    from tests.knowledge.isolation import knowledge_guesses

    def on_organisation(make_kwargs):  # the knowledge builders take the collectivité, not the `other` dict
        return lambda o: make_kwargs(o["organisation"])

    return {
        # Citizen records: Montclair's record (with no password yet) and its citizen's online draft.
        "citizen_records:record": ("admin", _pk("record")),
        "citizen_records:start": ("admin", _pk("record")),
        "citizen_records:invite": ("admin", _pk("record")),
        "citizen_records:take_over": ("admin", lambda o: {"pk": o["citizen"].pk, "code": o["draft"].tracking_code}),
        # Contact centre: Montclair's ringing call, its contact, its telephony secret.
        **{name: ("admin", make_kwargs) for name, make_kwargs in CONTACT_CENTRE.items()},
        # Knowledge base (agents' pages and the public FAQ): Montclair's public sheet and an empty theme.
        **{name: (actor, on_organisation(make_kwargs)) for name, (actor, make_kwargs) in knowledge_guesses().items()},
        # Directory: Montclair's entry and its pending import.
        "directory:edit": ("admin", _pk("entry")),
        "directory:toggle": ("admin", _pk("entry")),
        "directory:import_preview": ("admin", _pk("directory_import")),
        # Mail room: Montclair's e-mail to qualify and its attachment, its scanned letter, its mailbox.
        **{f"mailroom:{name}": ("admin", _pk("mail")) for name in (
            "detail", "create_request", "attach", "answer", "file", "assign", "identify", "raw")},
        "mailroom:attachment": ("admin", _pk("mail_attachment")),
        "mailroom:scan_read_again": ("admin", _pk("letter")),
        "mailroom:mailbox_edit": ("admin", _pk("mailbox")),
        "mailroom:mailbox_toggle": ("admin", _pk("mailbox")),
    }


def omnichannel_post_data(o):
    """Valid values for the forms of these apps, with Montclair's identifiers where one is asked: were a view to
    find Montclair's object, the attack would go through and the snapshot would show it."""
    return {
        "citizen": o["record"].pk, "reason": "Pirate", "outcome": "other", "canal": "counter",
        "question": "Pirate", "answer": "<p>Pirate</p>", "theme": o["theme"].pk, "body": "Pirate",
        "message": "Pirate", "kind": "person", "service": o["service"].pk, "agent": o["agent"].pk,
        "host": "imap.pirate.example.org", "username": "pirate", "port": 993, "security": "ssl", "folder": "INBOX",
        "code": o["draft"].tracking_code, "procedure": o["draft"].procedure_id, "confirm": "1",
        # The mail room's forms on the message's page are prefixed, one prefix an action.
        **{f"{prefix}-lock_version": o["mail"].lock_version for prefix in (
            "creer", "ajouter", "repondre", "classer", "attribuer")},
        "creer-version": o["draft"].version_id, "ajouter-code": o["submitted"].tracking_code,
        "repondre-text": "Pirate", "classer-note": "Pirate", "attribuer-service": o["service"].pk,
        "attribuer-assigned_to": o["agent"].pk,
    }


def omnichannel_snapshot():
    from guichet.contact_centre.models import Contact, IncomingCall, TelephonySecret
    from guichet.directory.models import DirectoryEntry, DirectoryImport
    from guichet.knowledge.models import Sheet, SheetVersion, Theme
    from guichet.mailroom.models import IncomingMail, Mailbox, MailAttachment
    from guichet.service_requests.models import ServiceRequest

    return {
        "requests": list(ServiceRequest.objects.values("pk", "state", "channel", "citizen_id", "data")),
        "calls": list(IncomingCall.objects.values()),
        "contacts": list(Contact.objects.values()),
        "telephony_secrets": list(TelephonySecret.objects.values()),
        "themes": list(Theme.objects.values()),
        "sheets": list(Sheet.objects.values("pk", "question", "answer", "version_number", "is_public", "theme_id")),
        "sheet_versions": list(SheetVersion.objects.values("pk", "sheet_id")),
        "directory_entries": list(DirectoryEntry.objects.values()),
        "directory_imports": list(DirectoryImport.objects.values()),
        "mails": list(IncomingMail.objects.values()),
        "mail_attachments": list(MailAttachment.objects.values()),
        "mailboxes": list(Mailbox.objects.values()),
        "emails_sent": [(message.to, message.subject) for message in outbox.outbox],
    }
