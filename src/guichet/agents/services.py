"""Business rules of the back office: agents' two-step sign-in, services, agents and roles.

Views call these functions; they hold no rule themselves.
"""

import io
import time
from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.contrib.auth import login as auth_login
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, UnidentifiedImageError

from guichet.accounts.models import User
from guichet.organisations.services import safe_next

from .models import Membership, Service

AUTH_BACKEND = "guichet.accounts.backends.OrganisationBackend"
PENDING_LOGIN_KEY = "agents_pending_login"
PENDING_LOGIN_LIFETIME = 5 * 60  # seconds between the password and the code
MAX_CODE_FAILURES = 5
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 1024
LOGO_MAX_PIXELS = 25_000_000  # a tiny compressed file may unfold into gigabytes: refuse before decoding


# --- Two-step sign-in -------------------------------------------------------------------------------------


def safe_next_url(request, url):
    """`url` if it stays on this host, else the agent's home."""
    return safe_next(request, url) or reverse("agents:home")


def start_pending_login(request, user, next_url=""):
    """The password was right: remember who is signing in until they give their code (not signed in yet)."""
    request.session[PENDING_LOGIN_KEY] = {
        "user_id": user.pk,
        "started": time.time(),
        "failures": 0,
        "next": safe_next_url(request, next_url),
    }


def clear_pending_login(request):
    request.session.pop(PENDING_LOGIN_KEY, None)


def pending_login(request):
    """(user, state) of the sign-in waiting for its code, or None if there is none or it has expired."""
    state = request.session.get(PENDING_LOGIN_KEY)
    if not state:
        return None
    if time.time() - state.get("started", 0) > PENDING_LOGIN_LIFETIME:
        clear_pending_login(request)
        return None
    user = User.objects.filter(
        pk=state.get("user_id"), organisation=request.organisation, kind=User.Kind.AGENT, is_active=True
    ).first()
    if user is None:
        clear_pending_login(request)
        return None
    return user, state


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_device(user):
    """The not-yet-confirmed device an agent is enrolling (the same one until they confirm it)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Application d'authentification"), confirmed=False)
    return device


@dataclass
class CodeCheck:
    """Outcome of a second-factor code: ok, wrong (message), or restart (too many wrong codes)."""

    ok: bool = False
    restart: bool = False
    message: str = ""


def _code_already_used(device, token):
    """True if `token` is a code this device accepted before (replayed), not merely a wrong one."""
    try:
        token = int(token)
    except (TypeError, ValueError):
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return device.last_t >= 0 and totp.verify(token, device.tolerance) and totp.t() <= device.last_t


def check_code(request, device, token):
    """Check a six-digit code against the device; count wrong ones in the pending sign-in."""
    state = request.session.get(PENDING_LOGIN_KEY) or {}
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(message=_(
                "Trop de codes erronés à la suite : patientez quelques secondes avant de saisir le code suivant."
            ))
        replayed = _code_already_used(device, token)
        if device.verify_token(token):
            return CodeCheck(ok=True)
    state["failures"] = state.get("failures", 0) + 1
    request.session[PENDING_LOGIN_KEY] = state
    remaining = MAX_CODE_FAILURES - state["failures"]
    if remaining <= 0:
        clear_pending_login(request)
        return CodeCheck(restart=True, message=_(
            "Trop de codes erronés : par sécurité, recommencez la connexion avec votre mot de passe."
        ))
    if replayed:
        message = _("Ce code a déjà servi. Attendez le code suivant (il change toutes les 30 secondes).")
    else:
        message = _(
            "Code incorrect. Saisissez le code à 6 chiffres affiché en ce moment par votre application "
            "(vérifiez que l'heure de votre téléphone est juste)."
        )
    return CodeCheck(message=message)


def complete_login(request, user, device):
    """Both factors passed: open the session and mark it verified by this device."""
    state = request.session.get(PENDING_LOGIN_KEY) or {}
    next_url = safe_next_url(request, state.get("next", ""))
    clear_pending_login(request)
    auth_login(request, user, backend=AUTH_BACKEND)
    otp_login(request, device)
    return next_url


def confirm_enrolment(device):
    """The agent proved their application works: this device becomes their only one."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])


def totp_secret(device):
    """The device's secret in base 32, by groups of four, for typing into an application by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def otpauth_url(device):
    issuer = f"Guichet {device.user.organisation.name}".replace(":", "")
    label = f"{issuer}:{device.user.email}"
    params = urlencode({
        "secret": b32encode(device.bin_key).decode().rstrip("="),
        "algorithm": "SHA1", "digits": device.digits, "period": device.step,
    })
    return f"otpauth://totp/{quote(label)}?{params}&issuer={quote(issuer)}"


def qr_code_svg(data, label):
    """Inline SVG of a QR code, described for assistive technologies by `label`."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)


def reset_totp(agent):
    """The agent lost their phone: drop their devices, they enrol a new one at their next sign-in."""
    TOTPDevice.objects.filter(user=agent).delete()


# --- Agents -------------------------------------------------------------------------------------------------


def agents_of(organisation, search=""):
    """The collectivité's agents with their services and roles, in a constant number of queries."""
    agents = (
        User.objects.filter(organisation=organisation, kind=User.Kind.AGENT)
        .annotate(has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("service").order_by("service__name"))
        )
        .order_by("last_name", "first_name", "email")
    )
    for word in search.split():
        agents = agents.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return agents


def services_for_roles(organisation, agent=None):
    """Services offered in an agent's role form: the active ones, and inactive ones the agent is still in."""
    services = Service.objects.of(organisation).filter(is_active=True)
    if agent is not None and agent.pk:
        services = Service.objects.of(organisation).filter(
            Q(is_active=True) | Q(memberships__user=agent)
        ).distinct()
    return list(services.order_by("name"))


def set_memberships(agent, roles):
    """roles: {service: role or ""}. Creates, changes or removes the agent's memberships accordingly."""
    current = {m.service_id: m for m in Membership.objects.filter(user=agent)}
    for service, role in roles.items():
        membership = current.get(service.pk)
        if not role:
            if membership is not None:
                membership.delete()
        elif membership is None:
            Membership.objects.create(organisation=agent.organisation, user=agent, service=service, role=role)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])


@transaction.atomic
def create_agent(organisation, fields, roles):
    agent = User(organisation=organisation, kind=User.Kind.AGENT, **fields)
    agent.set_unusable_password()
    agent.save()
    set_memberships(agent, roles)
    return agent


@transaction.atomic
def update_agent(agent, fields, roles):
    for name, value in fields.items():
        setattr(agent, name, value)
    agent.save()
    set_memberships(agent, roles)
    return agent


def can_change_admin_flag(actor, agent):
    """An administrator cannot take away their own administrator rights (the collectivité would lose its admin)."""
    return actor.pk != agent.pk


def can_deactivate(actor, agent):
    return actor.pk != agent.pk


def set_agent_active(agent, active):
    agent.is_active = active
    agent.save(update_fields=["is_active"])


def password_link(request, agent):
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    token = default_token_generator.make_token(agent)
    return request.build_absolute_uri(reverse("agents:set_password", args=[uid, token]))


def send_invitation(request, agent):
    """E-mail the agent a link to choose their password (valid a few days, once)."""
    organisation = agent.organisation
    context = {"agent": agent, "organisation": organisation, "link": password_link(request, agent)}
    send_mail(
        subject=_("Votre compte agent sur le guichet de %(name)s") % {"name": organisation.name},
        message=render_to_string("agents/email/invitation.txt", context),
        from_email=organisation.from_email,
        recipient_list=[agent.email],
    )


def agent_from_link(organisation, uidb64, token):
    """The agent a password link was made for, if the link is genuine and still valid; else None."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    agent = User.objects.filter(pk=pk, organisation=organisation, kind=User.Kind.AGENT, is_active=True).first()
    if agent is None or not default_token_generator.check_token(agent, token):
        return None
    return agent


def set_password_from_link(agent, password):
    agent.set_password(password)
    agent.email_confirmed = True
    agent.save(update_fields=["password", "email_confirmed"])


# --- Services -----------------------------------------------------------------------------------------------


def set_service_active(service, active):
    service.is_active = active
    service.save(update_fields=["is_active"])


# --- Organisation -------------------------------------------------------------------------------------------


class LogoError(ValueError):
    pass


def normalised_logo(uploaded, slug):
    """The uploaded logo re-encoded as PNG (checked by content, not by name). Raises LogoError."""
    if uploaded.size > LOGO_MAX_BYTES:
        raise LogoError(_("Le logo ne doit pas dépasser 1 Mo."))
    uploaded.seek(0)
    data = uploaded.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > LOGO_MAX_PIXELS:
                raise LogoError(_("Cette image est trop grande : choisissez un logo de moins de 5 000 × 5 000 pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = image.convert("RGBA")
            image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
            output = io.BytesIO()
            image.save(output, format="PNG", optimize=True)
    except LogoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise LogoError(_("Ce fichier n'est pas une image lisible : choisissez un logo au format PNG, JPEG ou GIF."))
    return ContentFile(output.getvalue(), name=f"logo-{slug}.png")


def discard_replaced_logo(organisation, old_name):
    """Delete the previous logo's file once a new one (or none) is saved."""
    if old_name and organisation.logo.name != old_name:
        organisation.logo.storage.delete(old_name)
