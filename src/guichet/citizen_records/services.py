"""Business rules of citizen records: finding a citizen, minimal records, requests entered on their behalf.

Public functions other apps call:
- `citizens_by_phone(organisation, raw_number)` → the citizens of the collectivité with that phone number;
- `start_on_behalf(version=, agent=, channel=, citizen=None, ...)` → a draft entered by an agent;
- `fill_url(service_request)` → where the agent continues filling the draft.

A citizen's real address is `User.real_email` ("" for a placeholder, `accounts.models.is_placeholder_email`).
"""

import uuid

from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from guichet.accounts.models import User, is_placeholder_email
from guichet.accounts.validators import parse_french_phone
from guichet.agents.permissions import is_verified_agent
from guichet.service_requests import services as request_services
from guichet.notifications.models import Channel as NotificationChannel
from guichet.service_requests.models import RequestEvent, ServiceRequest

# A citizen recorded by an agent without e-mail gets this undeliverable address (RFC 2606 « .invalid »): the
# e-mail is required and unique per collectivité on accounts. It is never shown and nothing is sent to it.
PLACEHOLDER_DOMAIN = "guichet.invalid"
ON_BEHALF_CHANNELS = (
    ServiceRequest.Channel.COUNTER, ServiceRequest.Channel.PHONE, ServiceRequest.Channel.EMAIL,
    ServiceRequest.Channel.POSTAL,
)


def placeholder_email():
    return f"sans-courriel-{uuid.uuid4().hex}@{PLACEHOLDER_DOMAIN}"


def citizens(organisation):
    """The citizens of the collectivité one may look up: active and not anonymised."""
    if organisation is None:
        return User.objects.none()
    return User.objects.filter(
        organisation=organisation, kind=User.Kind.CITIZEN, is_active=True, anonymised_at__isnull=True,
    )


def normalise_phone(raw_number):
    """The E.164 form ("+33612345678") of a French number typed any usual way, or None."""
    number = parse_french_phone(raw_number) if raw_number else None
    return number.as_e164 if number is not None else None


def citizens_by_phone(organisation, raw_number):
    """The citizens (active, not anonymised) of `organisation` whose phone is `raw_number`.

    "06 12 34 56 78", "+33612345678", "0033612345678" are the same number; an unparsable or unknown number
    gives [] (never an exception).
    """
    try:
        e164 = normalise_phone(str(raw_number or "").strip())
    except Exception:  # noqa: BLE001 — whatever a telephony system sends, a lookup never crashes
        return []
    if e164 is None:
        return []
    return list(citizens(organisation).filter(phone=e164).order_by("last_name", "first_name", "pk"))


def citizens_by_email(organisation, email):
    """The citizen of `organisation` with this e-mail (list of 0 or 1), on the (organisation, lower(email)) index."""
    email = (email or "").strip().lower()
    if not email or is_placeholder_email(email):
        return []
    return list(citizens(organisation).alias(email_lower=Lower("email")).filter(email_lower=email))


def _verified_agent(agent):
    """A verified agent: on a request's user, password and second factor of this session (django-otp); on a user
    loaded outside any request (a task, another app's service), an active agent with a confirmed second factor."""
    if agent is None or not getattr(agent, "is_authenticated", False):
        return False
    if hasattr(agent, "is_verified"):
        return is_verified_agent(agent)
    return bool(agent.is_agent and agent.is_active and agent.totpdevice_set.filter(confirmed=True).exists())


def refuse_unless_may_enter(version, agent, citizen):
    """StartRefused unless `agent` (verified, of the collectivité) may enter a request of `version` for `citizen`."""
    if not _verified_agent(agent) or agent.organisation_id != version.organisation_id:
        raise request_services.StartRefused(_(
            "Seul un agent de la collectivité, connecté avec son second facteur, peut saisir une demande pour "
            "le compte d'un usager."
        ))
    procedure = version.procedure
    if not procedure.is_published or procedure.current_version_id != version.pk:
        raise request_services.StartRefused(_("Cette démarche n'est pas publiée : choisissez-en une autre."))
    if citizen is not None and (
        citizen.organisation_id != version.organisation_id or not citizen.is_citizen or not citizen.is_active
        or citizen.anonymised_at is not None
    ):
        raise request_services.StartRefused(_("Cet usager n'a pas de fiche active dans la collectivité."))


def start_on_behalf(*, version, agent, channel, citizen=None, contact_name="", contact_email="", contact_phone="",
                    data=None):
    """A DRAFT of `version`'s procedure entered by `agent` for `citizen` (or a contact without account).

    Any procedure (citizen-only and agent-only included) when the agent is verified and of the same collectivité;
    raises `service_requests.services.StartRefused` otherwise. Answers are pre-filled from the citizen's profile
    (as online) then overridden by `data`; the CREATED event says on whose behalf and by which channel.
    """
    if channel not in ON_BEHALF_CHANNELS:
        raise request_services.StartRefused(_("Choisissez le canal : accueil, téléphone, courrier ou courriel."))
    refuse_unless_may_enter(version, agent, citizen)
    contact = {}
    if citizen is None:
        contact = {"contact_name": (contact_name or "").strip(), "contact_email": (contact_email or "").strip(),
                   "contact_phone": (contact_phone or "").strip()}
    with transaction.atomic():
        service_request = request_services.create_draft(
            version, citizen=citizen, entered_by=agent, channel=channel, actor=agent, data=data,
            event_data={"on_behalf": True, "channel": str(channel)}, **contact,
        )
        if citizen is not None and is_placeholder_email(citizen.email):
            # The placeholder address of a citizen without e-mail never lands in an answer.
            answers = {key: value for key, value in service_request.data.items() if value != citizen.email}
            if answers != service_request.data:
                service_request.data = answers
                service_request.save(update_fields=["data"])
    return service_request


def take_over(service_request, *, agent, channel):
    """The agent takes over the citizen's draft (started online) to finish it with them at the counter or on the
    phone: entered_by and channel change, TAKEN_OVER event. Raises StartRefused when not allowed."""
    if channel not in ON_BEHALF_CHANNELS:
        raise request_services.StartRefused(_("Choisissez le canal : accueil, téléphone, courrier ou courriel."))
    if not _verified_agent(agent) or agent.organisation_id != service_request.organisation_id:
        raise request_services.StartRefused(_("Seul un agent de la collectivité peut reprendre ce brouillon."))
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if not locked.is_draft:
            raise request_services.AlreadySubmitted(locked)
        if locked.anonymised_at is not None or locked.citizen_id is None:
            raise request_services.StartRefused(_("Ce brouillon ne peut pas être repris."))
        previous = {"channel": locked.channel, "entered_by": locked.entered_by_id}
        locked.entered_by, locked.channel = agent, channel
        locked.save(update_fields=["entered_by", "channel", "updated_at"])
        request_services.add_event(locked, RequestEvent.Kind.TAKEN_OVER, actor=agent,
                                   data={"channel": str(channel), "previous_channel": previous["channel"],
                                         "previous_entered_by": previous["entered_by"]})
    return locked


def fill_url(service_request):
    """Where the agent goes to continue filling this draft: the citizens' filling pages (they let the agent who
    entered the draft in, `service_requests.services.may_access`), at the step it was left."""
    from guichet.service_requests.views import resume_url

    return resume_url(service_request)


# ---------------------------------------------------------------------------------------------------------------
# Finding a citizen

SEARCH_PER_PAGE = 20


def _open_requests():
    return ServiceRequest.objects.filter(
        state=ServiceRequest.State.SUBMITTED, closed_at__isnull=True, withdrawn_at__isnull=True,
        anonymised_at__isnull=True,
    )


def _words(text):
    return [word for word in text.replace(",", " ").split() if word]


def search_citizens(organisation, criteria):
    """The citizens matching every criterion given (keys of forms.SearchForm.criteria()), ordered by name, each
    annotated with `open_requests` (count) and with `household` (prefetched members): 3 queries for a page,
    whatever its size (count, rows, household members).

    nom: each word starts the first name, the last name or a part of a compound last name; naissance: a date;
    telephone: E.164; courriel: the whole address; adresse: each word is in the address, postcode or commune;
    code: the citizen of the request with this tracking code.
    """
    from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    from guichet.households.models import HouseholdMember

    users = citizens(organisation)
    for word in _words(criteria.get("nom", "")):
        users = users.filter(
            Q(last_name__istartswith=word) | Q(first_name__istartswith=word) | Q(last_name__icontains=f" {word}")
            | Q(last_name__icontains=f"-{word}") | Q(first_name__icontains=f"-{word}")
        )
    if criteria.get("naissance"):
        users = users.filter(birth_date=criteria["naissance"])
    if criteria.get("telephone"):
        users = users.filter(phone=criteria["telephone"])
    if criteria.get("courriel"):
        email = criteria["courriel"].strip().lower()
        users = users.alias(email_lower=Lower("email")).filter(email_lower=email) if not is_placeholder_email(
            email) else users.none()
    for word in _words(criteria.get("adresse", "")):
        users = users.filter(
            Q(address_line__icontains=word) | Q(address_complement__icontains=word) | Q(postcode__startswith=word)
            | Q(city__icontains=word)
        )
    if criteria.get("code"):
        users = users.filter(pk__in=ServiceRequest.objects.of(organisation).filter(
            tracking_code=criteria["code"]).values("citizen_id"))
    open_count = (
        _open_requests().filter(organisation=organisation, citizen=OuterRef("pk")).order_by()
        .values("citizen").annotate(n=Count("pk")).values("n")
    )
    return (
        users.annotate(open_requests=Coalesce(Subquery(open_count, output_field=IntegerField()), Value(0)))
        .prefetch_related(Prefetch(
            "household_members",
            queryset=HouseholdMember.objects.of(organisation).order_by("first_name", "last_name", "pk"),
            to_attr="household",
        ))
        .order_by("last_name", "first_name", "pk")
    )


def request_without_account(organisation, code):
    """The request with this tracking code when it has no citizen account (contact details only), or None."""
    if not code:
        return None
    return (ServiceRequest.objects.of(organisation).filter(tracking_code=code, citizen__isnull=True,
                                                          anonymised_at__isnull=True)
            .select_related("version").first())


def likely_duplicates(organisation, *, last_name="", first_name="", birth_date=None, phone=None, email=""):
    """Existing citizens who are probably the same person: same name and birth date, same phone or same e-mail
    (one query, at most 10)."""
    from django.db.models import Q

    condition = Q(pk__in=[])
    if last_name and birth_date:
        same = Q(last_name__iexact=last_name.strip(), birth_date=birth_date)
        if first_name:
            same &= Q(first_name__iexact=first_name.strip())
        condition |= same
    e164 = normalise_phone(str(phone)) if phone else None
    if e164:
        condition |= Q(phone=e164)
    email = (email or "").strip().lower()
    users = citizens(organisation).alias(email_lower=Lower("email"))
    if email and not is_placeholder_email(email):
        condition |= Q(email_lower=email)
    return list(users.filter(condition).order_by("last_name", "first_name", "pk")[:10])


def create_citizen(organisation, agent, **fields):
    """A citizen record created by an agent: no password (unusable), e-mail optional (an undeliverable
    placeholder stands in for it). Without e-mail, the preferred channel is SMS when there is a phone number,
    else the postal letter."""
    email = (fields.pop("email", "") or "").strip().lower()
    if not email:
        email = placeholder_email()
        if fields.get("preferred_channel", User.Channel.EMAIL) == User.Channel.EMAIL:
            fields["preferred_channel"] = User.Channel.SMS if fields.get("phone") else User.Channel.LETTER
    user = User(organisation=organisation, kind=User.Kind.CITIZEN, email=email, email_confirmed=False, **fields)
    user.set_unusable_password()
    user.save()
    return user


# ---------------------------------------------------------------------------------------------------------------
# The citizen's record


def citizen_requests(organisation, citizen, limit=100):
    """The citizen's requests (drafts, open, closed), most recent first, without their answers (one query)."""
    return list(
        ServiceRequest.objects.of(organisation).filter(citizen=citizen, anonymised_at__isnull=True)
        .select_related("version", "entered_by").defer("data", "version__form")
        .order_by("-created_at", "-pk")[:limit]
    )


def may_take_over(service_request):
    """A citizen's draft that the citizen started themselves online (not one an agent already entered)."""
    return (service_request.is_draft and service_request.citizen_id is not None
            and service_request.channel == ServiceRequest.Channel.WEB)


def has_contact_address(citizen):
    """Whether the citizen can be written to electronically (a real e-mail or a phone number)."""
    return bool(citizen.real_email or citizen.phone)


# The channels of requests (web, phone, counter, postal, email, api) and of notifications (email, sms, letter).
CHANNEL_LABELS = {**dict(NotificationChannel.choices), **dict(ServiceRequest.Channel.choices)}


def channel_label(channel):
    """The French name of a history item's channel (request channels and notification channels)."""
    label = CHANNEL_LABELS.get(channel)
    return str(label) if label else (channel or "")


# ---------------------------------------------------------------------------------------------------------------
# Opening the online account of a record created by an agent


class InvitationRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def may_invite(citizen):
    """A record created by an agent (no password yet) with a real e-mail address."""
    return bool(citizen.real_email) and not citizen.has_usable_password() and citizen.anonymised_at is None


def send_account_invitation(http_request, citizen):
    """E-mail the citizen a link to choose their password (the accounts' password-reset link and pages, valid 3
    days, once): their record becomes their online account, with their requests and drafts."""
    from guichet.accounts.forms import OrganisationPasswordResetForm

    if not may_invite(citizen):
        raise InvitationRefused(_(
            "Cette fiche a déjà un compte en ligne, ou pas d'adresse électronique : l'invitation n'est pas envoyée."))

    class InvitationForm(OrganisationPasswordResetForm):
        def get_users(self, email):
            return [citizen]

    organisation = citizen.organisation
    form = InvitationForm(data={"email": citizen.email}, organisation=organisation)
    form.is_valid()
    form.save(
        request=http_request, from_email=organisation.from_email,
        subject_template_name="citizen_records/emails/invitation_subject.txt",
        email_template_name="citizen_records/emails/invitation.txt",
        html_email_template_name="citizen_records/emails/invitation.html",
        extra_email_context={"organisation": organisation},
    )


_refuse_unless_may_enter = refuse_unless_may_enter  # former private name
