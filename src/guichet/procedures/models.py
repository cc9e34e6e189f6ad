"""Procedures (démarches) and their published versions.

A procedure is edited freely (settings, a working copy of its form in `draft_form`, the shared workflow it
uses); publishing freezes the form, a snapshot of the workflow and the settings that matter for requests into
a `ProcedureVersion`. Requests point to the version they were made with, so they keep displaying correctly
after the procedure changes.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guichet.organisations.models import OrganisationOwned

from .text import normalise


class Theme(models.TextChoices):
    ETAT_CIVIL = "etat-civil", _("État civil")
    SCOLAIRE = "scolaire", _("Scolaire et périscolaire")
    PETITE_ENFANCE = "petite-enfance", _("Petite enfance")
    CCAS = "ccas", _("CCAS et solidarités")
    CULTURE = "culture", _("Culture")
    SERVICES_TECHNIQUES = "services-techniques", _("Services techniques")
    URBANISME = "urbanisme", _("Urbanisme")
    POLICE_MUNICIPALE = "police-municipale", _("Police municipale")
    VIE_ASSOCIATIVE = "vie-associative", _("Vie associative")
    ELECTIONS = "elections", _("Élections")
    ENVIRONNEMENT = "environnement", _("Environnement")
    CITOYENNETE = "citoyennete", _("Citoyenneté")
    SPORT = "sport", _("Sport")
    AUTRE = "autre", _("Autre")


class WhoMaySubmit(models.TextChoices):
    ANYONE = "anyone", _("Tout le monde, même sans compte")
    CITIZEN = "citizen", _("Les usagers connectés à leur compte")
    AGENTS = "agents", _("Les agents seulement (saisie au guichet)")


class DeadlineUnit(models.TextChoices):
    CALENDAR_DAYS = "calendar_days", _("jours calendaires")
    WORKING_DAYS = "working_days", _("jours ouvrés")


class SilenceMeans(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Le silence gardé vaut acceptation")
    REFUSAL = "refusal", _("Le silence gardé vaut refus")
    NONE = "none", _("Sans objet (pas de décision administrative)")


class Procedure(OrganisationOwned):
    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publiée")
        ARCHIVED = "archived", _("Archivée")

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(
        _("identifiant"), max_length=80,
        help_text=_("Apparaît dans l'adresse de la démarche : lettres minuscules, chiffres et tirets."),
    )
    theme = models.CharField(_("thème"), max_length=30, choices=Theme.choices, default=Theme.AUTRE)
    short_description = models.TextField(
        _("description courte"), max_length=1000, help_text=_("Une ou deux phrases qui disent à quoi sert la démarche.")
    )
    documents_needed = models.TextField(
        _("pièces à fournir"), blank=True,
        help_text=_("Une pièce justificative par ligne. Laissez vide si aucune pièce n'est demandée."),
    )
    who_may_submit = models.CharField(
        _("qui peut faire la demande"), max_length=10, choices=WhoMaySubmit.choices, default=WhoMaySubmit.CITIZEN
    )
    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service responsable"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="procedures",
    )
    deadline_amount = models.PositiveIntegerField(
        _("délai de traitement"), null=True, blank=True, default=30,
        help_text=_("Nombre de jours pour traiter la demande. Laissez vide s'il n'y a pas de délai."),
    )
    deadline_unit = models.CharField(
        _("unité du délai"), max_length=15, choices=DeadlineUnit.choices, default=DeadlineUnit.CALENDAR_DAYS
    )
    silence_means = models.CharField(
        _("silence de l'administration"), max_length=10, choices=SilenceMeans.choices, default=SilenceMeans.NONE,
        help_text=_("Ce que vaut l'absence de réponse à l'issue du délai ; indiqué sur l'accusé de réception."),
    )
    keywords = models.CharField(
        _("mots-clés"), max_length=500, blank=True, help_text=_("Séparés par des virgules ; servent à la recherche.")
    )
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.DRAFT)
    workflow = models.ForeignKey(
        "workflows.Workflow", verbose_name=_("circuit de traitement"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="procedures",
    )
    current_version = models.ForeignKey(
        "ProcedureVersion", verbose_name=_("version en ligne"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    draft_form = models.JSONField(_("formulaire en cours d'édition"), default=dict, blank=True)
    open311 = models.BooleanField(_("exposée en Open311"), default=False)
    # Intercommunal bodies only: every step of a request is e-mailed to the mayor's office of the member commune it
    # is about (guichet.service_requests.commune_updates). Read when the step happens, not frozen in the version.
    inform_member_commune = models.BooleanField(
        _("Tenir informée la mairie de la commune concernée"), default=False,
        help_text=_("Chaque étape d'une demande (envoi, changement de statut visible par l'usager, réponse écrite, "
                    "clôture) est envoyée par courriel à la mairie de la commune membre où se trouve la demande."),
    )
    search_text = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("démarche")
        verbose_name_plural = _("démarches")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="unique_procedure_slug_per_organisation",
                violation_error_message=_("Une démarche porte déjà cet identifiant."),
            )
        ]
        indexes = [models.Index(fields=["organisation", "state", "theme"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"search_text"}
        super().save(*args, **kwargs)

    def build_search_text(self):
        parts = [self.title, self.short_description, self.keywords, str(Theme(self.theme).label) if self.theme in
                 Theme.values else ""]
        return normalise(" ".join(part for part in parts if part))

    @property
    def is_published(self):
        return self.state == self.State.PUBLISHED and self.current_version_id is not None

    @property
    def documents_list(self):
        return [line.strip(" -•\t") for line in self.documents_needed.splitlines() if line.strip(" -•\t")]

    @property
    def keyword_list(self):
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class ProcedureVersion(OrganisationOwned):
    """A published, frozen state of a procedure: what requests made with it are bound to."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("numéro"))
    form = models.JSONField(_("formulaire"), default=dict)
    workflow = models.JSONField(_("circuit (copie figée)"), default=dict)
    workflow_name = models.CharField(_("nom du circuit"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("publiée le"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("publiée par"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Frozen settings that matter for the requests made with this version.
    title = models.CharField(_("titre"), max_length=200)
    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service responsable"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    deadline_amount = models.PositiveIntegerField(_("délai de traitement"), null=True, blank=True)
    deadline_unit = models.CharField(
        _("unité du délai"), max_length=15, choices=DeadlineUnit.choices, default=DeadlineUnit.CALENDAR_DAYS
    )
    silence_means = models.CharField(
        _("silence de l'administration"), max_length=10, choices=SilenceMeans.choices, default=SilenceMeans.NONE
    )
    who_may_submit = models.CharField(
        _("qui peut faire la demande"), max_length=10, choices=WhoMaySubmit.choices, default=WhoMaySubmit.CITIZEN
    )

    class Meta:
        verbose_name = _("version de démarche")
        verbose_name_plural = _("versions de démarches")
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_procedure_version_number")
        ]

    def __str__(self):
        return f"{self.title} — v{self.number}"
