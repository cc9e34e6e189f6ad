"""Business rules of citizen accounts: sign-up, confirmation, change of address, contact channel, erasure."""

import phonenumbers
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import User
from .signals import citizen_erased
from .tokens import email_change_token_matches, read_email_change_token

DUPLICATE_EMAIL_MESSAGE = _("Un compte existe déjà avec cette adresse électronique.")


class DuplicateEmail(Exception):
    """Another account of the collectivité already uses this address."""


def normalise_email(email):
    return (email or "").strip().lower()


def email_taken(organisation, email, exclude=None):
    """Is this address used by an account (citizen or agent) of the collectivité?"""
    users = User.objects.filter(organisation=organisation, email__iexact=normalise_email(email))
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def channel_problem(channel, phone=None, address_line="", postcode="", city=""):
    """Why this preferred contact channel cannot be used with these details (a French message), or None."""
    if channel == User.Channel.SMS and not phone:
        return _("Pour être contacté par SMS, indiquez un numéro de téléphone.")
    if channel == User.Channel.LETTER and not (address_line and postcode and city):
        return _(
            "Pour être contacté par courrier postal, indiquez votre adresse complète (adresse, code postal et commune)."
        )
    return None


def format_phone(phone):
    """A phone number in French national format ("06 12 34 56 78"), or "" when there is none."""
    if not phone:
        return ""
    try:
        number = phone if isinstance(phone, phonenumbers.PhoneNumber) else phonenumbers.parse(str(phone), "FR")
    except phonenumbers.NumberParseException:
        return str(phone)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def register_citizen(organisation, password, **fields):
    """Create a citizen of the collectivité whose address is still to be confirmed.

    Raises DuplicateEmail when the collectivité already has an account with this address (the same
    address in another collectivité is a separate account and is allowed).
    """
    email = normalise_email(fields.pop("email"))
    if email_taken(organisation, email):
        raise DuplicateEmail(email)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email, password, organisation=organisation, kind=User.Kind.CITIZEN, email_confirmed=False, **fields
            )
    except IntegrityError as error:  # two sign-ups racing for the same address
        raise DuplicateEmail(email) from error


def confirm_email(user, account_url=""):
    """Confirm the citizen's address; the first time only, welcome them (notification « account.welcome »,
    linking to `account_url`, their account page). Returns True when the address was not confirmed yet."""
    from guichet.notifications.services import notify

    with transaction.atomic():
        # A conditional update: two clicks on the link at once welcome the citizen once.
        confirmed = User.objects.filter(pk=user.pk, email_confirmed=False).update(email_confirmed=True)
        user.email_confirmed = True
        if confirmed:
            notify(user, "account.welcome", link=account_url)
    return bool(confirmed)


def citizen_for_confirmation(organisation, email):
    """The active, unconfirmed citizen of this collectivité with this address, if any."""
    return User.objects.filter(
        organisation=organisation, kind=User.Kind.CITIZEN, email__iexact=normalise_email(email),
        is_active=True, email_confirmed=False,
    ).first()


def apply_email_change(organisation, token):
    """Make the address carried by a change-of-address link the account's address.

    Returns the user, or None when the link is forged, expired, already used (the account's
    address changed since it was sent), or when the new address has been taken meanwhile.
    """
    data = read_email_change_token(token)
    if data is None:
        return None
    user_id, organisation_id, new_email, fingerprint = data
    if organisation is None or organisation_id != organisation.pk:
        return None
    user = User.objects.filter(organisation=organisation, kind=User.Kind.CITIZEN, pk=user_id, is_active=True).first()
    if user is None or not email_change_token_matches(user, fingerprint):
        return None
    if email_taken(organisation, new_email, exclude=user):
        return None
    user.email = new_email
    user.email_confirmed = True
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_confirmed"])
    except IntegrityError:
        return None
    return user


def _forget_login_attempts(user):
    """django-axes keeps the e-mail of failed and successful logins: remove this person's.

    Failed attempts are keyed "<collectivité>:<e-mail>"; axes keys its successful-login log by the
    bare e-mail, so those rows are removed for that address whatever the collectivité.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from .backends import axes_username

    class _Request:
        organisation = user.organisation

    username = axes_username(_Request(), {"email": user.email})
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__in=[username, user.email]).delete()


@transaction.atomic
def erase_citizen(user):
    """Erase a citizen's personal data, keeping the row so that past records stay consistent.

    Names, civility, birth date, postal address, phone, household members and linked external
    identities are erased, the password becomes unusable, the address is replaced by an anonymous
    one (so the old address can sign up again), the account is deactivated and dated. Then the
    `citizen_erased` signal lets the other apps anonymise their own records, in the same transaction.
    """
    if user.kind != User.Kind.CITIZEN:
        raise ValueError("Only citizens' accounts are erased this way.")
    _forget_login_attempts(user)
    user.household_members.all().delete()
    user.external_identities.all().delete()
    for field in ("civility", "first_name", "last_name", "address_line", "address_complement", "postcode", "city"):
        setattr(user, field, "")
    user.birth_date = None
    user.phone = ""
    user.preferred_channel = User.Channel.EMAIL
    user.password = make_password(None)
    user.email = User.anonymous_email()
    user.email_confirmed = False
    user.is_active = False
    user.last_login = None
    user.anonymised_at = timezone.now()
    user.save()
    citizen_erased.send(sender=User, user=user)
    return user
