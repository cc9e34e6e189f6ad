"""Reading raw messages: headers, text (HTML made safe), attachments kept or refused, malformed MIME."""

import io
import zipfile

import pytest

from guichet.mailroom.email_in import html_to_text, looks_like_email, parse_email, refusal_reason

from .mail_samples import EXE, PDF, message


def test_headers_are_decoded():
    raw = message(subject="Problème d'éclairage — rue Émile-Zola", sender=("Élodie Durand", "Elodie@Example.org"),
                  to="Mairie <mairie@saint-aubin.example>", message_id="<abc-1@example.org>",
                  extra_headers={"Cc": "Voirie <voirie@saint-aubin.example>", "In-Reply-To": "<prev@example.org>"})
    parsed = parse_email(raw)
    assert parsed.subject == "Problème d'éclairage — rue Émile-Zola"
    assert (parsed.sender_name, parsed.sender_email) == ("Élodie Durand", "elodie@example.org")
    assert parsed.message_id == "<abc-1@example.org>"
    assert parsed.in_reply_to == "<prev@example.org>"
    assert "mairie@saint-aubin.example" in parsed.recipients and "voirie@saint-aubin.example" in parsed.recipients
    assert parsed.date.year == 2026 and parsed.date.day == 30
    assert parsed.body.startswith("Bonjour,\nil y a un trou rue des Lilas.")
    assert parsed.errors == []


def test_encoded_words_and_latin1_body():
    raw = (b"From: =?iso-8859-1?q?Fran=E7ois_L=E9ger?= <francois@example.org>\r\n"
           b"Subject: =?utf-8?b?UsOpY2xhbWF0aW9u?=\r\nMessage-ID: <lat@example.org>\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"Ch\xe8re mairie, merci.\r\n")
    parsed = parse_email(raw)
    assert parsed.sender_name == "François Léger"
    assert parsed.subject == "Réclamation"
    assert "Chère mairie" in parsed.body


def test_unknown_charset_is_read_anyway_and_noted():
    raw = (b"From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain; charset=x-inconnu\r\n\r\n"
           b"Texte lisible \xc3\xa9\r\n")
    parsed = parse_email(raw)
    assert "Texte lisible é" in parsed.body
    assert parsed.errors  # noted for the agent


def test_html_only_mail_gives_text_without_script_or_style():
    html = ("<html><head><title>T</title><style>p{color:red}</style><script>alert('x')</script></head>"
            "<body><p>Bonjour,</p><p>le lampadaire <b>ne marche plus</b>.</p><script>steal()</script>"
            "<ul><li>rue A</li><li>rue B</li></ul><a href='https://ex.org/photo'>la photo</a>"
            "<img src=x onerror=alert(1)><!-- commentaire --></body></html>")
    parsed = parse_email(message(body=None, html=html))
    assert "Bonjour," in parsed.body and "le lampadaire ne marche plus." in parsed.body
    assert "rue A\nrue B" in parsed.body
    assert "la photo (https://ex.org/photo)" in parsed.body
    for forbidden in ("alert", "steal", "color:red", "<", "commentaire"):
        assert forbidden not in parsed.body
    assert parsed.attachments == []


def test_plain_text_preferred_over_html_alternative():
    parsed = parse_email(message(body="Texte brut.", html="<p>Texte <i>riche</i>.</p>"))
    assert parsed.body == "Texte brut."
    assert parsed.attachments == []  # the HTML alternative is not an attachment


def test_html_to_text_handles_empty_and_garbage():
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""
    assert "texte" in html_to_text("<<<>>> texte <p")


def _zip(**files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("photo.pdf", PDF, ""),
    ("setup.exe", EXE, "dangereux"),
    ("facture.pdf.exe", EXE, "double extension"),
    ("facture.pdf", EXE, "programme"),  # an executable under a harmless name: caught by its content
    ("script.js", b"alert(1)", "dangereux"),
    ("lancer.BAT", b"echo off", "dangereux"),
    ("macro.vbs", b"MsgBox 1", "dangereux"),
    ("outil.ps1", b"Get-Process", "dangereux"),
    ("install.msi", b"\xd0\xcf\x11\xe0", "dangereux"),
    ("tableau.xlsm", _zip(**{"xl__workbook.xml": "<x/>"}), "dangereux"),
    ("lettre.docx", _zip(**{"word__document.xml": "<x/>", "word__vbaProject.bin": "x"}), "macros"),
    ("pieces.zip", _zip(**{"a.pdf": "x", "dossier__virus.js": "alert(1)"}), "virus.js"),
    ("pieces.zip", _zip(**{"a.pdf": "x", "b.jpg": "y"}), ""),
    ("appli.zip", _zip(**{"META-INF__MANIFEST.MF": "x", "a__B.class": "y"}), "Java"),
    ("lancer.sh.txt", b"#!/bin/sh\nrm -rf /\n", "script"),
])
def test_dangerous_files_are_refused(name, content, expected):
    reason = refusal_reason(name, "application/octet-stream", content)
    if expected:
        assert expected in reason
    else:
        assert reason == ""


def test_oversized_attachment_refused_others_kept(settings):
    settings.GUICHET_MAIL_ATTACHMENT_MAX_BYTES = 1000
    raw = message(attachments=[("plan.pdf", PDF, "application", "pdf"),
                               ("gros.pdf", PDF + b"0" * 2000, "application", "pdf"),
                               ("virus.exe", EXE, "application", "octet-stream")])
    parsed = parse_email(raw)
    by_name = {item.name: item for item in parsed.attachments}
    assert by_name["plan.pdf"].refused_reason == "" and by_name["plan.pdf"].content == PDF
    assert "trop volumineuse" in by_name["gros.pdf"].refused_reason
    assert "0,0 Mo" in by_name["gros.pdf"].refused_reason or "Mo" in by_name["gros.pdf"].refused_reason
    assert "dangereux" in by_name["virus.exe"].refused_reason


def test_forwarded_message_is_one_attachment():
    inner = message(subject="Message d'origine")
    from email.message import EmailMessage
    from email.parser import BytesParser
    from email import policy

    outer = EmailMessage()
    outer["From"] = "relais@example.org"
    outer["Subject"] = "Tr: Message d'origine"
    outer.set_content("Voir le message joint.")
    outer.add_attachment(BytesParser(policy=policy.default).parsebytes(inner))
    parsed = parse_email(outer.as_bytes())
    assert parsed.body == "Voir le message joint."
    assert len(parsed.attachments) == 1
    assert parsed.attachments[0].name.endswith(".eml")
    assert b"Message d'origine" in parsed.attachments[0].content


@pytest.mark.parametrize("raw", [
    b"From: a@example.org\r\nSubject: casse\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
    b"du texte sans frontiere\r\n",
    b"From: a@example.org\r\nSubject: casse\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
    b"--YY\r\nContent-Type: text/plain\r\n\r\nperdu\r\n",
    b"From: a@example.org\r\nSubject: casse\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\n!!!pas du base64!!!\r\n",
    b"From: <<<@@@>>>\r\nTo: ,,,;;;\r\nDate: pas une date\r\nSubject: =?bad?q?zz?=\r\n\r\ncorps\r\n",
    b"\xff\xfe\x00garbage\x00\r\n\r\n\x00\x01",
])
def test_malformed_mime_never_crashes(raw):
    parsed = parse_email(raw)
    assert isinstance(parsed.body, str)
    assert isinstance(parsed.errors, list)


def test_multipart_without_boundary_is_noted():
    parsed = parse_email(b"From: a@example.org\r\nSubject: casse\r\nMIME-Version: 1.0\r\n"
                         b"Content-Type: multipart/mixed\r\n\r\ndu texte\r\n")
    assert parsed.subject == "casse"
    assert any("MIME" in error for error in parsed.errors)


def test_looks_like_email():
    assert looks_like_email(message())
    assert looks_like_email(b"Subject: seul\r\n\r\ncorps")
    assert not looks_like_email(b"bonjour, ceci n'est pas un courriel")
    assert not looks_like_email(b"%PDF-1.4 binary")
    assert not looks_like_email(b'{"json": true}')
