"""The search index of requests: one row per submitted request, kept up to date in the same transaction as what
changes it (see signals.py), rebuilt in bulk by `manage.py reindex_requests`.

`identity` holds who and where (tracking code, names, e-mail addresses, phone numbers as digits, address,
district), `content` what the request says (procedure title, answers with the choices' labels, messages and
answers of the service). Both are already folded by `text.index_text`: lower case, no accents, words separated
by single spaces, with a space at both ends (the SQLite fallback matches the start of a word with
LIKE '% word%'). On PostgreSQL, `vector` is their tsvector with the French configuration (identity weighted A,
content C), searched through a GIN index on (organisation_id, vector) (migration 0002, btree_gin).
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import Organisation, OrganisationOwned


class RequestSearch(OrganisationOwned):
    # No B-tree index of its own: the GIN index (organisation_id, vector) serves the collectivité's rows, and a
    # separate index would tempt the planner to read all of them and test each vector.
    organisation = models.ForeignKey(Organisation, verbose_name=_("collectivité"), on_delete=models.CASCADE,
                                     db_index=False)
    request = models.OneToOneField(
        "service_requests.ServiceRequest", verbose_name=_("demande"), on_delete=models.CASCADE,
        related_name="search",
    )
    identity = models.TextField(_("demandeur et lieu (texte indexé)"), blank=True)
    content = models.TextField(_("contenu (texte indexé)"), blank=True)
    # PostgreSQL only (NULL on SQLite, which searches identity and content).
    vector = SearchVectorField(_("vecteur de recherche"), null=True, blank=True)
    updated_at = models.DateTimeField(_("indexée le"), auto_now=True)

    class Meta:
        verbose_name = _("index de recherche d'une demande")
        verbose_name_plural = _("index de recherche des demandes")

    def __str__(self):
        return str(self.request_id)
