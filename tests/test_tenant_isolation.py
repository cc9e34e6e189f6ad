"""Tenant isolation, tried the way an attacker would: on Saint-Aubin's host, with Saint-Aubin's most powerful
accounts, every URL that takes an identifier is called with the identifiers of Montclair's objects.

Every such URL of the application must appear in GUESSES below: a new view that takes an identifier and is
not listed here makes `test_every_url_with_an_identifier_is_tried` fail.
"""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts.models import User
from guichet.accounts.tokens import email_confirmation_token, make_email_change_token
from guichet.answers.models import AnswerTemplate
from guichet.api_clients.models import Scope
from guichet.api_clients.services import create_client
from guichet.households.models import HouseholdMember
from guichet.letters.models import LetterBatch
from guichet.notifications.models import Delivery, MessageTemplate, Notification
from guichet.oidc.models import ExternalIdentity, IdentityProvider
from guichet.service_requests.models import RequestEvent
from guichet.sms.models import SmsReceipt, SmsSettings
from tests.conftest import PASSWORD, client_for, make_agent, make_citizen, make_service
from tests.documents.builders import kept_document, request_with_attachment
from tests.isolation_guesses.apis import (
    API_ACTORS, apis_calls, apis_guesses, apis_objects, apis_post_data, apis_snapshot,
)
from tests.isolation_guesses.omnichannel import (
    montclair_objects, omnichannel_guesses, omnichannel_post_data, omnichannel_snapshot,
)


def parameterised_url_names():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.pattern.regex.groupindex:  # re_path's groups too
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver("guichet.urls").url_patterns))


@pytest.fixture
def other(other_organisation):
    """Montclair's objects, which Saint-Aubin's users try to reach."""
    citizen = make_citizen(other_organisation, email="victime@example.org")
    unconfirmed = make_citizen(other_organisation, email="nouveau@example.org", email_confirmed=False)
    service = make_service(other_organisation, name="Urbanisme", slug="urbanisme")
    agent = make_agent(other_organisation, email="agent.montclair@example.org", services=[service])
    provider = IdentityProvider.objects.create(
        organisation=other_organisation, name="FranceConnect", slug="franceconnect",
        issuer="https://fc.example.org", client_id="montclair",
    )
    objects = {
        "citizen": citizen,
        "unconfirmed": unconfirmed,
        "member": HouseholdMember.objects.create(
            organisation=other_organisation, citizen=citizen, relationship="child",
            first_name="Enzo", last_name="Victime", birth_date="2016-01-01",
        ),
        "service": service,
        "agent": agent,
        "provider": provider,
        "identity": ExternalIdentity.objects.create(
            organisation=other_organisation, user=citizen, provider=provider, subject="sub-montclair"
        ),
    }
    # Calls, contacts, records, drafts, knowledge, directory, mail room (tests/isolation_guesses/omnichannel.py).
    objects.update(montclair_objects(other_organisation, objects))
    # API client, Open311 procedure and request, webhook subscription and delivery, connector (…/apis.py).
    objects.update(apis_objects(other_organisation, objects))
    return objects


def montclair_letter(o):
    """A letter of Montclair's, in a batch already downloaded (the state where « posted » would change it)."""
    from guichet.letters.models import LetterBatch
    from guichet.letters.services import add_to_batch
    from guichet.notifications.models import Delivery, Notification

    notification = Notification.objects.create(
        organisation=o["citizen"].organisation, recipient=o["citizen"], key="message.free", subject="Objet", body="Texte"
    )
    delivery = Delivery.objects.create(
        organisation=notification.organisation, notification=notification, channel="letter",
        address="Madame Victime\n1 rue de Montclair\n54380 Montclair", content="Texte du courrier",
    )
    letter = add_to_batch(delivery)
    LetterBatch.objects.filter(pk=letter.batch_id).update(status=LetterBatch.Status.DOWNLOADED)
    return letter


def montclair_notification(o, recipient="citizen"):
    """A notification of Montclair's (to its citizen or its agent) with a failed delivery."""
    from guichet.notifications.services import claim, notify, record_failed

    notification = notify(o[recipient], "message.free", {"objet": "Objet", "message": "Texte"})
    delivery = notification.deliveries.get()
    taken = claim(delivery.pk)
    taken.attempts = 1
    record_failed(taken, "refusé")
    return notification


def montclair_delivery(o):
    return montclair_notification(o).deliveries.get()


def montclair_template(o):
    from guichet.notifications.models import MessageTemplate

    return MessageTemplate.objects.create(
        organisation=o["citizen"].organisation, key="account.welcome", subject="Montclair", body="Texte",
        sms_text="SMS", letter_text="Courrier",
    )


def montclair_request(o):
    """A request of Montclair's citizen, with a file → (request, attachment)."""
    return request_with_attachment(o["service"].organisation, o["service"], o["citizen"])


def montclair_keep_kwargs(o):
    service_request, attachment = montclair_request(o)
    return {"code": service_request.tracking_code, "pk": attachment.pk}


def montclair_document(o):
    """A checked document kept in the space of Montclair's citizen."""
    return kept_document(o["service"].organisation, o["service"], o["citizen"])


def uid(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


# url name -> (who tries, how the identifiers are made from Montclair's objects)
def montclair_workflow(o):
    from guichet.workflows.models import Workflow, default_definition

    workflow = Workflow.objects.filter(organisation=o["service"].organisation).first()
    return workflow or Workflow.objects.create(
        organisation=o["service"].organisation, name="Circuit", slug="circuit", definition=default_definition()
    )


def montclair_procedure(o):
    """A procedure published by Montclair, open to anyone."""
    from tests.service_requests.conftest import make_procedure

    return make_procedure(o["service"].organisation, o["service"], slug="signalement-montclair", who="anyone")


def montclair_code(o):
    return {"code": montclair_request(o)[0].tracking_code}


def montclair_link_kwargs(o):
    """A link between two of Montclair's requests (guichet.duplicates)."""
    from guichet.duplicates.models import RequestLink

    first = montclair_request(o)[0]
    second = request_with_attachment(o["service"].organisation, o["service"], o["citizen"], slug="autre-demande")[0]
    low, high = sorted((first, second), key=lambda r: r.pk)
    link = RequestLink.objects.create(organisation=first.organisation, first=low, second=high)
    return {"code": first.tracking_code, "pk": link.pk}


def montclair_export(o):
    """A finished export of Montclair's agent, with its file."""
    from django.core.files.base import ContentFile

    from guichet.exports.models import Export

    export = Export.objects.create(
        organisation=o["agent"].organisation, requested_by=o["agent"], source="queue", format="csv",
        state=Export.State.DONE, rows_done=0, rows_total=0,
    )
    export.file.save(f"{export.organisation_id}/exports/montclair.csv", ContentFile(b"\xef\xbb\xbf"), save=True)
    return export


def montclair_saved_view(o):
    from guichet.queues.models import SavedView

    return SavedView.objects.create(organisation=o["agent"].organisation, owner=o["agent"], name="Mes retards",
                                    params="deadline_state=overdue")


def montclair_closed_code(o):
    """Montclair's request, closed (so that only the collectivité stops a rating or a reopening request)."""
    from django.utils import timezone

    service_request = montclair_request(o)[0]
    service_request.__class__.objects.filter(pk=service_request.pk).update(closed_at=timezone.now())
    return {"code": service_request.tracking_code}


def montclair_reopen_kwargs(o):
    """A pending reopening request of Montclair's closed request."""
    from guichet.satisfaction.models import ReopenRequest

    code = montclair_closed_code(o)["code"]
    service_request = o["service"].requests.get(tracking_code=code)
    reopen = ReopenRequest.objects.create(organisation=service_request.organisation, request=service_request,
                                          closed_at=service_request.closed_at, reason="Toujours pas réglé")
    return {"code": code, "pk": reopen.pk}


def montclair_answer_template(o):
    return AnswerTemplate.objects.create(organisation=o["service"].organisation, service=o["service"],
                                         title="Réponse de Montclair", body="Texte de Montclair")


def workflow_kwargs(o, **extra):
    return {"pk": montclair_workflow(o).pk, **extra}


GUESSES = {
    # Answer templates and the written answer: Montclair's template and request, tried by Saint-Aubin's admin.
    "answers:edit": ("admin", lambda o: {"pk": montclair_answer_template(o).pk}),
    "answers:toggle": ("admin", lambda o: {"pk": montclair_answer_template(o).pk}),
    "answers:answer": ("admin", lambda o: montclair_code(o)),
    # Ratings and reopening (guichet.satisfaction): Montclair's closed request and its reopening request.
    "satisfaction:rate": ("citizen", montclair_closed_code),
    "satisfaction:reopen": ("citizen", montclair_closed_code),
    **{f"satisfaction:{name}": ("admin", montclair_reopen_kwargs) for name in ("decide", "accept", "refuse")},
    "procedures:detail": ("anonymous", lambda o: {"slug": montclair_procedure(o).slug}),
    # Procedure administration: Montclair's procedure tried by Saint-Aubin's administrator.
    "procedures_admin:detail": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:settings": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:delete": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:form": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:preview": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:page_add": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:page_edit": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{"page_id": "p1"}}),
    "procedures_admin:field_add": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{"page_id": "p1"}}),
    "procedures_admin:field_edit": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{"field_id": "f1"}}),
    "procedures_admin:block_field_add": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{"block_id": "b1"}}),
    "procedures_admin:block_field_edit": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{"block_id": "b1", "field_id": "f1"}}),
    "procedures_admin:move": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:item_delete": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:publish": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:archive": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:versions": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "procedures_admin:version": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{"number": 1}}),
    "procedures_admin:export": ("admin", lambda o: {"pk": montclair_procedure(o).pk, **{}}),
    "households:edit": ("citizen", lambda o: {"pk": o["member"].pk}),
    "households:delete": ("citizen", lambda o: {"pk": o["member"].pk}),
    "oidc:unlink": ("citizen", lambda o: {"pk": o["identity"].pk}),
    "oidc:start": ("anonymous", lambda o: {"slug": o["provider"].slug}),
    "oidc_admin:edit": ("admin", lambda o: {"pk": o["provider"].pk}),
    "oidc_admin:delete": ("admin", lambda o: {"pk": o["provider"].pk}),
    "agents:service_edit": ("admin", lambda o: {"pk": o["service"].pk}),
    "agents:service_toggle": ("admin", lambda o: {"pk": o["service"].pk}),
    "agents:agent_edit": ("admin", lambda o: {"pk": o["agent"].pk}),
    "agents:agent_toggle": ("admin", lambda o: {"pk": o["agent"].pk}),
    "agents:agent_reset_totp": ("admin", lambda o: {"pk": o["agent"].pk}),
    "agents:agent_invite": ("admin", lambda o: {"pk": o["agent"].pk}),
    "letters:batch_detail": ("admin", lambda o: {"pk": montclair_letter(o).batch_id}),
    "letters:batch_pdf": ("admin", lambda o: {"pk": montclair_letter(o).batch_id}),
    "letters:batch_posted": ("admin", lambda o: {"pk": montclair_letter(o).batch_id}),
    "letters:letter_pdf": ("admin", lambda o: {"pk": montclair_letter(o).pk}),
    "notifications:detail": ("citizen", lambda o: {"pk": montclair_notification(o).pk}),
    "agent_notifications:detail": ("admin", lambda o: {"pk": montclair_notification(o, "agent").pk}),
    "agent_notifications:delivery_detail": ("admin", lambda o: {"pk": montclair_delivery(o).pk}),
    "agent_notifications:delivery_retry": ("admin", lambda o: {"pk": montclair_delivery(o).pk}),
    # Templates are addressed by kind of message: Montclair's template ids are not kinds here.
    "message_templates:edit": ("admin", lambda o: {"key": str(montclair_template(o).pk)}),
    "message_templates:reset": ("admin", lambda o: {"key": str(montclair_template(o).pk)}),
    "message_templates:test": ("admin", lambda o: {"key": str(montclair_template(o).pk)}),
    "sms:receipt": (
        "anonymous", lambda o: {"token": SmsSettings.objects.create(organisation=o["service"].organisation).receipt_token}
    ),
    # One-time links of Montclair's accounts, with valid tokens, opened on Saint-Aubin's host.
    "accounts:confirm": (
        "anonymous",
        lambda o: {"uidb64": uid(o["unconfirmed"]), "token": email_confirmation_token.make_token(o["unconfirmed"])},
    ),
    "accounts:password_reset_confirm": (
        "anonymous",
        lambda o: {"uidb64": uid(o["citizen"]), "token": default_token_generator.make_token(o["citizen"])},
    ),
    "agents:set_password": (
        "anonymous",
        lambda o: {"uidb64": uid(o["agent"]), "token": default_token_generator.make_token(o["agent"])},
    ),
    "accounts:email_change_confirm": (
        "citizen", lambda o: {"token": make_email_change_token(o["citizen"], "pirate@example.org")}
    ),
    # Requests' files, the agents' request pages and the citizens' document space.
    "attachments:download": ("admin", lambda o: {"pk": montclair_request(o)[1].pk}),
    "agent_requests:detail": ("admin", lambda o: {"code": montclair_request(o)[0].tracking_code}),
    "agent_requests:note": ("admin", lambda o: {"code": montclair_request(o)[0].tracking_code}),
    "agent_requests:message": ("admin", lambda o: {"code": montclair_request(o)[0].tracking_code}),
    "agent_requests:press": (
        "admin", lambda o: {"code": montclair_request(o)[0].tracking_code, "button_id": "accepter"}
    ),
    "agent_requests:keep_document": ("admin", lambda o: montclair_keep_kwargs(o)),
    # Duplicates: merging or linking Montclair's requests, removing Montclair's link.
    "duplicates:merge": ("admin", montclair_code),
    "duplicates:link": ("admin", montclair_code),
    "duplicates:unlink": ("admin", lambda o: montclair_link_kwargs(o)),
    # Queues: the saved view of Montclair's agent, Montclair's request's assignment and priority.
    "queues:saved_view": ("admin", lambda o: {"pk": montclair_saved_view(o).pk}),
    "queues:saved_view_delete": ("admin", lambda o: {"pk": montclair_saved_view(o).pk}),
    "queues:assign": ("admin", montclair_code),
    "queues:priority": ("admin", montclair_code),
    "documents:file": ("citizen", lambda o: {"pk": montclair_document(o).pk}),
    "documents:delete": ("citizen", lambda o: {"pk": montclair_document(o).pk}),
    # Citizens' request pages: Montclair's procedures and requests tried from Saint-Aubin's host.
    "service_requests:start": ("citizen", lambda o: {"slug": montclair_procedure(o).slug}),
    "service_requests:page": ("citizen", lambda o: {**montclair_code(o), "page_id": "demandeur"}),
    **{f"service_requests:{name}": ("citizen", montclair_code) for name in (
        "detail", "contact", "summary", "send", "receipt", "receipt_pdf", "complement", "delete", "message",
        "withdraw")},
    # Exports: Montclair's export tried by Saint-Aubin's administrator (who sees every export of Saint-Aubin).
    "exports:detail": ("admin", lambda o: {"pk": montclair_export(o).pk}),
    "exports:download": ("admin", lambda o: {"pk": montclair_export(o).pk}),
    # Workflow editor (administrators).
    **{f"workflows:{name}": ("admin", lambda o: workflow_kwargs(o)) for name in (
        "edit", "delete", "export", "import_into", "status_add")},
    **{f"workflows:{name}": ("admin", lambda o: workflow_kwargs(o, sid="recue")) for name in (
        "status", "status_delete", "status_move", "action_add", "button_add", "timer_add")},
    **{f"workflows:{name}": ("admin", lambda o: workflow_kwargs(o, sid="recue", index=0)) for name in (
        "action_delete", "action_move", "timer_delete")},
    **{f"workflows:{name}": ("admin", lambda o: workflow_kwargs(o, sid="recue", bid="accepter")) for name in (
        "button", "button_delete", "button_move", "button_action_add")},
    **{f"workflows:{name}": ("admin", lambda o: workflow_kwargs(o, sid="recue", bid="accepter", index=0))
       for name in ("button_action_delete", "button_action_move")},
}
# Citizen records, contact centre, knowledge base, directory and mail room.
GUESSES.update(omnichannel_guesses())
# API clients, webhooks, connectors; the REST API and Open311 with Saint-Aubin's own credentials.
GUESSES.update(apis_guesses())
# One-time links answer with an "invalid link" page rather than 404; the other URLs are simply not there.
LINK_PAGES = {"accounts:confirm", "accounts:password_reset_confirm", "agents:set_password",
              "accounts:email_change_confirm"}


def snapshot(other):
    """Everything of Montclair's that an attack could change."""
    users = User.objects.filter(organisation=other["citizen"].organisation).order_by("pk")
    return {
        "users": list(users.values("email", "password", "is_active", "email_confirmed", "is_org_admin")),
        "members": list(HouseholdMember.objects.values("pk", "first_name", "birth_date")),
        "services": list(other["service"].__class__.objects.filter(pk=other["service"].pk).values()),
        "providers": list(IdentityProvider.objects.values()),
        "identities": list(ExternalIdentity.objects.values("pk", "user_id")),
        "devices": list(TOTPDevice.objects.filter(user=other["agent"]).values("pk", "key", "confirmed")),
        "letter_batches": list(LetterBatch.objects.values("pk", "status", "downloaded_at", "posted_at")),
        "deliveries": list(Delivery.objects.values("pk", "status", "sent_at")),
        "sms_receipts": list(SmsReceipt.objects.values()),
        "notifications": list(Notification.objects.values("pk", "read_at")),
        "templates": list(MessageTemplate.objects.values()),
        "workflows": list(montclair_workflow(other).__class__.objects.values("pk", "name", "definition")),
        "answer_templates": list(AnswerTemplate.objects.values()),
        "answers": list(RequestEvent.objects.filter(kind="answer").values("pk")),
        "request_links": list(_request_links()),
        "merged_requests": list(_merges()),
        **omnichannel_snapshot(),
        **apis_snapshot(other),
    }


def _request_links():
    from guichet.duplicates.models import RequestLink

    return RequestLink.objects.values("pk", "first_id", "second_id")


def _merges():
    from guichet.service_requests.models import ServiceRequest

    return ServiceRequest.objects.values("pk", "merged_into_id", "closed_at")


def test_every_url_with_an_identifier_is_tried():
    assert parameterised_url_names() == set(GUESSES)


@pytest.mark.parametrize("url_name", sorted(GUESSES))
def test_other_collectivite_identifiers_lead_nowhere(url_name, organisation, other, org_admin):
    actor, make_kwargs = GUESSES[url_name]
    users = {"anonymous": None, "citizen": make_citizen(organisation), "admin": org_admin,
             **dict.fromkeys(API_ACTORS, org_admin)}  # the API's actors: the admin's session and client
    client = client_for(organisation, users[actor])
    url = reverse(url_name, kwargs=make_kwargs(other))
    before = snapshot(other)
    post_data = {
        "new_password1": "Nouveau-mot-de-passe-99", "new_password2": "Nouveau-mot-de-passe-99",
        "first_name": "Pirate", "last_name": "Pirate", "relationship": "adult", "name": "Pirate",
        "slug": "pirate", "email": "pirate@example.org", "password": PASSWORD,
        **omnichannel_post_data(other), **apis_post_data(other),
    }
    if actor in API_ACTORS:  # Saint-Aubin's own client with every scope, as bearer or Open311 api_key
        _client, secret = create_client(organisation, name="Intégration", scopes=list(Scope.values))
        get, post = apis_calls(actor, client, url, other, secret)
    else:
        get, post = client.get(url), client.post(url, post_data)
    if url_name in LINK_PAGES:
        for response in (get, post):
            assert response.status_code in (200, 302, 400, 404)
            if response.status_code == 302:  # the token is dropped from the URL first (Django's reset views)
                assert client.get(response.url).status_code in (200, 400, 404)
        assert "_auth_user_id" not in client.session or users[actor] is not None
    else:
        statuses = {get.status_code, post.status_code}  # 405: the view takes only one of GET and POST
        assert 404 in statuses and statuses <= {404, 405}, (url, statuses)
    assert snapshot(other) == before
    if users[actor] is not None:  # the attacker is still themselves, not a Montclair account
        assert int(client.session["_auth_user_id"]) == users[actor].pk


def test_a_session_opened_in_one_collectivite_is_anonymous_in_another(organisation, other):
    client = client_for(other["citizen"].organisation, other["citizen"])
    assert client.get("/compte/").status_code == 200
    client.defaults["HTTP_HOST"] = f"{organisation.slug}.localhost"
    response = client.get("/compte/")
    assert response.status_code == 302 and "/compte/connexion/" in response.url
    client.defaults["HTTP_HOST"] = "localhost"
    assert client.get("/admin/").status_code == 302  # not an operator on the platform host either


def test_login_with_another_collectivites_credentials_fails(organisation, other):
    client = client_for(organisation)
    response = client.post("/compte/connexion/", {"email": "victime@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
