"""Fixtures of the mail room's core tests: a submitted request, stored messages and a helper to store more."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from guichet.mailroom.models import IncomingMail, MailAttachment
from guichet.mailroom.registry import register_mail
from tests.workflows.conftest import make_request, make_version

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def store_mail(organisation, *, channel=IncomingMail.Channel.EMAIL, source=None, raw_bytes=None, files=(), **fields):
    """A stored message (state RECEIVED, as the e-mail and scan jobs leave it before `process_mail`).

    `files`: (name, content, content_type, refused_reason) tuples, stored as its attachments."""
    if source is None:
        source = IncomingMail.Source.INBOUND if channel == IncomingMail.Channel.EMAIL else IncomingMail.Source.SCAN
    if raw_bytes is None and channel == IncomingMail.Channel.EMAIL:
        raw_bytes = (f"From: {fields.get('sender_email', '')}\r\nSubject: {fields.get('subject', '')}\r\n\r\n"
                     f"{fields.get('body', '')}\r\n").encode()
    mail = register_mail(organisation, channel=channel, source=source, raw_bytes=raw_bytes, **fields)
    for name, content, content_type, refused in files:
        attachment = MailAttachment(organisation=organisation, mail=mail, original_name=name,
                                    content_type=content_type, size=len(content), refused_reason=refused,
                                    is_scan=channel == IncomingMail.Channel.POSTAL)
        if not refused:
            attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()
    return mail


@pytest.fixture
def version(organisation, service):
    return make_version(organisation, service)


@pytest.fixture
def service_request(version, citizen):
    return make_request(version, citizen)


@pytest.fixture
def make_mail(organisation):
    def make(**fields):
        fields.setdefault("sender_email", "camille.martin@example.org")
        fields.setdefault("sender_name", "Camille Martin")
        fields.setdefault("subject", "Ma demande")
        fields.setdefault("body", "Bonjour, voici ma question.")
        fields.setdefault("received_at", timezone.now())
        return store_mail(fields.pop("organisation", organisation), **fields)
    return make


def verified(user):
    """`user` as the OTP middleware leaves it on a page (password and second factor passed)."""
    user.is_verified = lambda: True
    return user
