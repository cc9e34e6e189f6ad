"""E-mails sent to citizens about their account: plain text and HTML, from the collectivité's address.

Links are absolute and point to the host the request came in on, which the tenant middleware has
already checked belongs to the citizen's collectivité.
"""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .tokens import email_confirmation_token, make_email_change_token


def send_templated_email(template_prefix, context, to, organisation):
    """Render `<prefix>_subject.txt`, `<prefix>.txt` and `<prefix>.html` and send them in one message."""
    context = {"organisation": organisation, **context}
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}.txt", context)
    html = render_to_string(f"{template_prefix}.html", context)
    message = EmailMultiAlternatives(subject, text, organisation.from_email, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def confirmation_url(request, user):
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_confirmation_token.make_token(user)
    return request.build_absolute_uri(reverse("accounts:confirm", args=[uidb64, token]))


def send_confirmation_email(request, user):
    """The link that confirms the address given at sign-up (and signs the citizen in)."""
    send_templated_email(
        "accounts/emails/confirmation",
        {"user": user, "url": confirmation_url(request, user)},
        user.email,
        user.organisation,
    )


def send_email_change_confirmation(request, user, new_email):
    """Sent to the NEW address: following the link makes it the account's address."""
    token = make_email_change_token(user, new_email)
    url = request.build_absolute_uri(reverse("accounts:email_change_confirm", args=[token]))
    send_templated_email(
        "accounts/emails/email_change", {"user": user, "url": url, "new_email": new_email}, new_email,
        user.organisation,
    )


def send_email_change_notice(request, user, new_email):
    """Sent to the CURRENT address, so that its owner learns that a change was asked for."""
    send_templated_email(
        "accounts/emails/email_change_notice",
        {"user": user, "new_email": new_email, "login_url": request.build_absolute_uri(reverse("accounts:login"))},
        user.email,
        user.organisation,
    )
