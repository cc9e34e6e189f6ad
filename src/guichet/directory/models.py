"""The staff directory (annuaire): one entry per person or per service of the collectivité.

A person's entry may be linked to their agent account (`accounts.User`, same collectivité): their name, e-mail,
job title, phone extension and services then come from the account, and the entry only adds where and how to
reach them (building, office, phone, hours) and what they handle (missions). A service's entry names an
`agents.Service`: its name, and its e-mail, phone and missions when the entry leaves them empty.

Search: `search_names` (names), `search_missions`, `search_services` (job title, service names) and
`search_other` (building, office, e-mail, phones, extension, hours) hold the folded words
(`guichet.search.text.index_text`), written by `save()`; on PostgreSQL `vector` is their French tsvector (names
A, missions B, services C, the rest D), searched through the GIN index (organisation_id, vector) of migration
0002 (btree_gin).
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from guichet.organisations.models import Organisation, OrganisationOwned


SEARCH_FIELDS = ("sort_name", "search_names", "search_missions", "search_services", "search_other")


class DirectoryEntry(OrganisationOwned):
    class Kind(models.TextChoices):
        PERSON = "person", pgettext_lazy("fiche de l'annuaire", "Personne")
        SERVICE = "service", _("Service")

    organisation = models.ForeignKey(Organisation, verbose_name=_("collectivité"), on_delete=models.CASCADE,
                                     db_index=False)  # the GIN index (organisation_id, vector) and the unique ones
    kind = models.CharField(_("type de fiche"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("compte agent"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="directory_entries", limit_choices_to={"kind": "agent"},
    )
    service = models.ForeignKey(
        "agents.Service", verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="directory_entries",
    )
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(pgettext_lazy("nom de famille", "nom"), max_length=150, blank=True)
    job_title = models.CharField(_("fonction"), max_length=150, blank=True)
    missions = models.TextField(
        _("missions"), blank=True,
        help_text=_("Ce dont la personne ou le service s'occupe, en quelques mots : « graffitis, tags, affichage "
                    "sauvage »."),
    )
    building = models.CharField(_("bâtiment"), max_length=150, blank=True)
    office = models.CharField(_("bureau"), max_length=80, blank=True)
    phone = PhoneNumberField(_("téléphone"), blank=True)
    phone_extension = models.CharField(_("poste"), max_length=20, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    hours = models.CharField(_("horaires"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    # Filled by save() (services.index_texts): the folded words of what the directory shows, for the search.
    sort_name = models.CharField(editable=False, max_length=300, blank=True, default="")
    search_names = models.TextField(editable=False, blank=True, default="")
    search_missions = models.TextField(editable=False, blank=True, default="")
    search_services = models.TextField(editable=False, blank=True, default="")
    search_other = models.TextField(editable=False, blank=True, default="")
    vector = SearchVectorField(null=True, blank=True, editable=False)  # PostgreSQL only
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fiche de l'annuaire")
        verbose_name_plural = _("fiches de l'annuaire")
        ordering = ["sort_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], condition=models.Q(user__isnull=False),
                name="unique_directory_entry_per_agent",
                violation_error_message=_("Cet agent a déjà sa fiche dans l'annuaire."),
            ),
            models.UniqueConstraint(
                fields=["organisation", "service"], condition=models.Q(kind="service"),
                name="unique_directory_entry_per_service",
                violation_error_message=_("Ce service a déjà sa fiche dans l'annuaire."),
            ),
            models.UniqueConstraint(
                "organisation", Lower("email"), condition=~models.Q(email=""),
                name="unique_directory_email_per_organisation",
                violation_error_message=_("Une fiche de l'annuaire porte déjà cette adresse électronique."),
            ),
        ]
        indexes = [models.Index(fields=["organisation", "is_active", "sort_name"], name="directory_org_active_name")]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        from .services import index_texts, write_vectors

        for name, value in index_texts(self).items():
            setattr(self, name, value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | set(SEARCH_FIELDS)
        super().save(*args, **kwargs)
        write_vectors([self.pk])

    # What the directory shows: the account's or the service's data when the entry is linked to one.

    @property
    def linked_user(self):
        return self.user if self.user_id and self.kind == self.Kind.PERSON else None

    @property
    def display_name(self):
        if self.kind == self.Kind.SERVICE:
            return self.service.name if self.service_id else str(_("Service sans nom"))
        user = self.linked_user
        first, last = (user.first_name, user.last_name) if user else (self.first_name, self.last_name)
        return " ".join(part for part in (first, last) if part) or (user.email if user else "")

    @property
    def display_job_title(self):
        user = self.linked_user
        return (user.job_title if user else "") or self.job_title

    @property
    def display_email(self):
        user = self.linked_user
        if user is not None:
            return user.email
        if self.kind == self.Kind.SERVICE and not self.email and self.service_id:
            return self.service.email
        return self.email

    @property
    def display_extension(self):
        user = self.linked_user
        return (user.phone_extension if user else "") or self.phone_extension

    @property
    def display_phone(self):
        """The phone in French format (« 03 83 00 20 10 »), the service's when a service entry has none."""
        from .phones import french_format

        if self.phone:
            return french_format(self.phone)
        if self.kind == self.Kind.SERVICE and self.service_id and self.service.phone:
            return french_format(self.service.phone)
        return ""

    @property
    def display_missions(self):
        if self.missions:
            return self.missions
        if self.kind == self.Kind.SERVICE and self.service_id:
            return self.service.description
        return ""

    @property
    def display_services(self):
        """The services of the person: the account's (prefetched by `services.entries_for_display`) when linked,
        else the entry's service."""
        user = self.linked_user
        if user is not None:
            services = [membership.service for membership in user.memberships.all() if membership.service.is_active]
            if services:
                return sorted(services, key=lambda service: service.name)
        return [self.service] if self.service_id and self.kind == self.Kind.PERSON else []


class DirectoryImport(OrganisationOwned):
    """A CSV file an administrator uploaded, between its preview and its import (then only its outcome stays)."""

    file_name = models.CharField(_("fichier"), max_length=255)
    encoding = models.CharField(_("encodage"), max_length=20)
    text = models.TextField(_("contenu"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("déposé par"), null=True, on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    applied_at = models.DateTimeField(_("importé le"), null=True, blank=True)
    result = models.JSONField(_("résultat"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import de l'annuaire")
        verbose_name_plural = _("imports de l'annuaire")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.file_name
