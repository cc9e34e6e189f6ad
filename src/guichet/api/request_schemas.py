"""Schemas of the requests API (/api/v1/requests): what is sent and what is answered. See REQUESTS.md."""

import datetime
from typing import Annotated, Any, Dict, List, Literal, Optional

from ninja import Schema
from pydantic import AfterValidator, Field

from guichet.service_requests.models import ServiceRequest

from .schemas import ServiceRef

MAX_ID = 2**63 - 1
# More top-level answers than any form has fields (a block's items are one answer).
MAX_ANSWERS = 500
SLUG = r"^[-a-zA-Z0-9_]{1,100}$"
# One line of printable text (filters, names): no control character (PostgreSQL refuses NUL).
LINE = r"^[^\x00-\x1f\x7f]*$"


def _storable(value):
    """Text PostgreSQL can store: no NUL, no lone surrogate (JSON "\\ud800")."""
    if "\x00" in value:
        raise ValueError("NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("surrogate") from error
    return value


StorableText = Annotated[str, AfterValidator(_storable)]
Channel = Literal[tuple(ServiceRequest.Channel.values)]


# --- submitting ------------------------------------------------------------------------------------------------

class ContactIn(Schema):
    name: StorableText = Field("", max_length=200, pattern=LINE, description="Nom du demandeur sans compte.")
    email: StorableText = Field("", max_length=254, pattern=LINE, description="Son adresse électronique "
                                "(l'accusé de réception et les réponses y sont envoyés).")
    phone: StorableText = Field("", max_length=30, pattern=LINE, description="Son téléphone (facultatif).")


class LocationIn(Schema):
    address: StorableText = Field("", max_length=300, pattern=LINE)
    latitude: Optional[float] = Field(None, ge=-90, le=90)
    longitude: Optional[float] = Field(None, ge=-180, le=180)


class SubmitIn(Schema):
    procedure: str = Field(..., pattern=SLUG, description="Identifiant (slug) d'une démarche publiée.")
    answers: Dict[str, Any] = Field(default_factory=dict, max_length=MAX_ANSWERS, description=(
        "Réponses {identifiant du champ: valeur}, formes par type : voir le guide (REQUESTS.md). Les champs "
        "masqués par une condition sont ignorés ; un identifiant inconnu est refusé."))
    channel: Optional[Channel] = Field(None, description=(
        "Canal par lequel la demande est arrivée : api par défaut pour un client, web pour un usager."))
    citizen: Optional[int] = Field(None, ge=1, le=MAX_ID, description=(
        "Identifiant de la fiche d'un usager de la collectivité (client de l'API seulement)."))
    contact: Optional[ContactIn] = Field(None, description="Demandeur sans compte (sans `citizen`).")
    location: Optional[LocationIn] = Field(None, description=(
        "Lieu de la demande quand ses réponses n'en donnent pas (formulaire sans champ adresse)."))


# --- reading ---------------------------------------------------------------------------------------------------

class ProcedureRef(Schema):
    slug: str
    title: str = Field(description="Titre de la démarche tel qu'il était à la version du dépôt.")


class RequestStatus(Schema):
    """The status of a request as the caller is shown it (named apart from the catalogue's `StatusOut`: one
    OpenAPI component per name)."""

    id: str
    label: str
    final: bool


class Place(Schema):
    address: str
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    district: str


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class SummaryAnswer(Schema):
    label: str
    value: str


class SummaryPage(Schema):
    page: str
    answers: List[SummaryAnswer]


class RequestSummary(Schema):
    tracking_code: str = Field(description="Numéro de suivi (RQ-XXXX-XXXX).")
    url: str = Field(description="Adresse de la demande dans l'API.")
    procedure: ProcedureRef
    status: Optional[RequestStatus] = Field(None, description=(
        "Statut : pour un usager, le dernier statut qui lui est visible (absent : « Envoyée »)."))
    state: Literal["open", "closed", "withdrawn"]
    channel: str
    channel_label: str
    service: Optional[ServiceRef] = None
    deadline: Optional[datetime.date] = None
    waiting_for_citizen: bool
    submitted_at: datetime.datetime
    updated_at: datetime.datetime = Field(description=(
        "Dernière modification ; pour un usager, le dernier événement qui lui est visible."))
    closed_at: Optional[datetime.datetime] = None
    withdrawn_at: Optional[datetime.datetime] = None
    lock_version: Optional[int] = Field(None, description=(
        "À renvoyer pour presser un bouton du circuit (contrôle de conflit) ; clients seulement."))


class RequestOut(RequestSummary):
    information_request: str = Field(description="Complément demandé à l'usager (vide sinon).")
    place: Place
    citizen: Optional[int] = Field(None, description="Fiche de l'usager (clients de l'API seulement).")
    contact: Optional[ContactOut] = Field(None, description="Demandeur sans compte (clients de l'API seulement).")
    answers: Dict[str, Any] = Field(description="Réponses, sous la forme du dépôt (voir le guide).")
    summary: List[SummaryPage] = Field(description="Réponses lisibles, page par page.")


class RequestPage(Schema):
    items: List[RequestSummary]
    next: Optional[str] = Field(None, description="URL de la page suivante (absente à la dernière).")
    next_cursor: Optional[str] = None
    limit: int


class TimelineEvent(Schema):
    id: int
    at: datetime.datetime
    kind: str = Field(description="Type d'événement (submitted, status_changed, message_agent…).")
    title: str
    text: str
    author: Literal["citizen", "agent", "api_client", "system"]
    status_from: Optional[str] = None
    status_to: Optional[str] = None
    status_label: Optional[str] = None
    attachments: List[int] = Field(default_factory=list, description="Pièces jointes du message.")
    visible_to_citizen: Optional[bool] = Field(None, description="Clients de l'API seulement.")
    actor_name: Optional[str] = Field(None, description="Clients de l'API seulement : l'agent ou le client.")


class MessageIn(Schema):
    text: StorableText = Field(..., min_length=1, max_length=5000)
    answer: bool = Field(False, description="Client de l'API : c'est la réponse écrite à l'usager (permet un "
                                            "statut final).")
    token: Optional[str] = Field(None, pattern=r"^[0-9a-f]{32}$", description=(
        "Jeton à usage unique (32 caractères hexadécimaux) : le même message renvoyé avec le même jeton n'est "
        "pas écrit deux fois (réponse 200 avec le premier)."))


class ButtonInput(Schema):
    name: str
    label: str


class ButtonOut(Schema):
    id: str
    label: str
    inputs: List[ButtonInput] = Field(description="Textes à fournir dans `inputs` en pressant le bouton.")


class ActionsOut(Schema):
    lock_version: int
    status: Optional[RequestStatus] = None
    buttons: List[ButtonOut]


class ActionIn(Schema):
    lock_version: int = Field(..., ge=0, le=MAX_ID, description="lock_version lu sur la demande.")
    inputs: Dict[str, StorableText] = Field(default_factory=dict)
