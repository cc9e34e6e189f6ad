"""The knowledge base: question/answer sheets (« fiches ») by theme, with their versions.

- `Theme`: a collectivité's themes, in the order its administrators choose (`position`, then name).
- `Sheet`: one question and its current answer (rich text, always sanitised by `richtext.sanitise` before it is
  stored), its theme, owner service, public flag (published in the citizens' FAQ), review date and related
  procedures (of the same collectivité). `index_title` / `index_answer` hold the folded words that the search
  reads (SQLite: LIKE; PostgreSQL: `vector`, weights title A, answer B, theme C, GIN index (organisation_id,
  vector), see migration 0002). They are written by `services.save_sheet` / `search.reindex_sheets`.
- `SheetVersion`: append-only; every save that changes the question or the answer adds one, numbered 1, 2, 3…
  per sheet, with its author and date, so that earlier versions can be read, compared and restored.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import Organisation, OrganisationOwned

MAX_QUESTION_LENGTH = 250
MAX_ANSWER_LENGTH = 20_000


class Theme(OrganisationOwned):
    name = models.CharField(_("nom"), max_length=100)
    position = models.PositiveIntegerField(
        _("ordre d'affichage"), default=0, help_text=_("Les thèmes sont présentés du plus petit nombre au plus grand.")
    )

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["position", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_knowledge_theme_name",
                violation_error_message=_("Un thème porte déjà ce nom."),
            )
        ]

    def __str__(self):
        return self.name


class Sheet(OrganisationOwned):
    # No B-tree index of its own on the organisation: the GIN index (organisation_id, vector) serves the search,
    # the (organisation, theme) index the lists.
    organisation = models.ForeignKey(Organisation, verbose_name=_("collectivité"), on_delete=models.CASCADE,
                                     db_index=False)
    theme = models.ForeignKey(Theme, verbose_name=_("thème"), on_delete=models.RESTRICT, related_name="sheets")
    question = models.CharField(_("question"), max_length=MAX_QUESTION_LENGTH)
    answer = models.TextField(_("réponse"))
    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service responsable"), on_delete=models.RESTRICT,
        related_name="knowledge_sheets",
    )
    is_public = models.BooleanField(
        _("publiée dans les questions fréquentes"), default=False,
        help_text=_("Les usagers la lisent sur le site de la collectivité, page « Questions fréquentes »."),
    )
    review_on = models.DateField(
        _("à relire le"), null=True, blank=True,
        help_text=_("Passé cette date, la fiche est signalée « À relire »."),
    )
    procedures = models.ManyToManyField(
        "procedures.Procedure", verbose_name=_("démarches liées"), blank=True, related_name="knowledge_sheets",
    )
    version_number = models.PositiveIntegerField(_("version"), default=0)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créée par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("modifiée par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # The search index (folded words, a space at both ends; see guichet.search.text.index_text).
    index_title = models.TextField(editable=False, blank=True, default="")
    index_answer = models.TextField(editable=False, blank=True, default="")
    vector = SearchVectorField(null=True, blank=True, editable=False)  # PostgreSQL only

    class Meta:
        verbose_name = _("fiche")
        verbose_name_plural = _("fiches")
        ordering = ["question", "pk"]
        indexes = [
            models.Index(fields=["organisation", "theme"], name="knowledge_sheet_org_theme"),
            models.Index(fields=["organisation", "review_on"], name="knowledge_sheet_org_review"),
        ]

    def __str__(self):
        return self.question

    @property
    def slug(self):
        return slugify(self.question)[:80] or "fiche"

    @property
    def needs_review(self):
        """The review date is reached (today or earlier): the sheet is flagged « À relire »."""
        return self.review_on is not None and self.review_on <= timezone.localdate()


class SheetVersion(OrganisationOwned):
    """What a sheet said at one save. Never changed once written."""

    sheet = models.ForeignKey(Sheet, verbose_name=_("fiche"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("numéro"))
    question = models.CharField(_("question"), max_length=MAX_QUESTION_LENGTH)
    answer = models.TextField(_("réponse"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("enregistrée le"), default=timezone.now)
    note = models.CharField(_("remarque"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("version de fiche")
        verbose_name_plural = _("versions de fiches")
        ordering = ["sheet", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "number"], name="unique_knowledge_version_number"),
        ]

    def __str__(self):
        return f"{self.sheet_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A sheet version is never changed once written.")
        super().save(*args, **kwargs)
