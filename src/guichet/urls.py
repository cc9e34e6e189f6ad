"""URLs of a collectivité's host (`<slug>.localhost:8000`)."""

from django.urls import include, path

from guichet.service_requests.agent_urls import attachment_urls

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("compte/foyer/", include("guichet.households.urls")),
    path("compte/identite/", include("guichet.oidc.urls")),
    path("compte/notifications/", include("guichet.notifications.urls")),
    path("", include("guichet.service_requests.urls")),
    path("compte/documents/", include("guichet.documents.urls")),
    path("compte/", include("guichet.accounts.urls")),
    path("demarches/", include("guichet.procedures.urls")),
    path("agents/admin/identite/", include("guichet.oidc.admin_urls")),
    path("", include("guichet.sms.urls")),
    path("agents/courriers/", include("guichet.letters.urls")),
    path("agents/admin/messages/", include("guichet.notifications.admin_urls")),
    path("agents/admin/demarches/", include("guichet.procedures.admin_urls")),
    path("pieces/", include(attachment_urls)),
    path("agents/files/", include("guichet.queues.urls")),
    path("agents/reponses/", include("guichet.answers.urls")),
    path("agents/recherche/", include("guichet.search.urls")),
    path("agents/exports/", include("guichet.exports.urls")),
    path("agents/doublons/", include("guichet.duplicates.urls")),
    path("agents/tableaux-de-bord/", include("guichet.dashboards.urls")),
    path("", include("guichet.satisfaction.urls")),
    path("agents/demandes/", include("guichet.service_requests.agent_urls")),
    path("agents/usagers/", include("guichet.citizen_records.urls")),
    path("agents/appels/", include("guichet.contact_centre.urls")),
    path("api/telephonie/", include("guichet.contact_centre.api_urls")),
    path("agents/connaissances/", include("guichet.knowledge.urls")),
    path("questions-frequentes/", include("guichet.knowledge.public_urls")),
    path("agents/annuaire/", include("guichet.directory.urls")),
    path("agents/courrier-entrant/", include("guichet.mailroom.urls")),
    path("api/courriels/", include("guichet.mailroom.api_urls")),
    path("api/v1/", include("guichet.api.urls")),
    path("open311/v2/", include("guichet.open311.urls")),
    path("agents/admin/api/", include("guichet.api_clients.urls")),
    path("agents/admin/webhooks/", include("guichet.webhooks.urls")),
    path("agents/admin/connecteurs/", include("guichet.connectors.urls")),
    path("agents/admin/circuits/", include("guichet.workflows.urls")),
    path("agents/", include("guichet.notifications.agent_urls")),
    path("agents/", include("guichet.agents.urls")),
    path("", include("guichet.organisations.urls")),
]

handler404 = "guichet.organisations.views.not_found"
