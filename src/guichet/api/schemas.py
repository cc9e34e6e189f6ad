"""Schemas shared by every router of the REST API: the problem document (RFC 9457) and the paged list envelope."""

from typing import Generic, List, Optional, TypeVar, Union

from ninja import Schema
from pydantic import Field

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(Schema):
    """One invalid input of a 422 problem."""

    location: List[Union[str, int]] = Field(
        description="Où se trouve la valeur refusée : source (path, query, body, header, cookie) puis le chemin "
                    "du champ.")
    message: str = Field(description="Le motif du refus, en français.")
    type: str = Field(description="Le code de l'erreur (celui de pydantic : missing, int_parsing…).")


class Problem(Schema):
    """An error answer (RFC 9457, `application/problem+json`)."""

    type: str = Field("about:blank", description="URI du type de problème (about:blank : voir `status`).")
    title: str = Field(description="Résumé du problème, en français.")
    status: int = Field(description="Le code HTTP de la réponse.")
    detail: str = Field(description="Explication de ce cas précis, en français.")
    code: str = Field(description="Code stable pour les programmes : not_found, validation, rate_limited…")
    instance: Optional[str] = Field(None, description="Le chemin de la requête refusée.")
    errors: Optional[List[FieldError]] = Field(None, description="Les valeurs refusées (erreurs de validation).")


class ServiceRef(Schema):
    """A service, as named in a procedure, a sheet or a request."""

    id: int
    slug: str
    name: str


T = TypeVar("T")


class Page(Schema, Generic[T]):
    """A page of a list numbered from 1 (`?page=`, `?page_size=`)."""

    count: int = Field(description="Nombre total d'éléments (toutes pages).")
    page: int
    page_size: int
    next_page: Optional[int] = Field(None, description="Numéro de la page suivante, absent à la dernière.")
    items: List[T]


def page_of(queryset, page, page_size):
    """The dict of a `Page` for a queryset (a count query plus one query for the slice)."""
    count = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start:start + page_size]) if start < count else []
    return {"count": count, "page": page, "page_size": page_size,
            "next_page": page + 1 if start + page_size < count else None, "items": items}

