"""The kinds of message Guichet sends, their variables and their default wording.

Each collectivité may reword any of them (`MessageTemplate`); what it has not reworded is sent with the
default text below. Variables are plain values (no objects, no methods): the templates cannot reach anything
else.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

# Variables every message has.
COMMON_VARIABLES = {
    "collectivite.nom": (_("Nom de la collectivité"), "Saint-Aubin"),
    "collectivite.adresse": (_("Adresse de la collectivité"), "1 place de la Mairie, 54470 Saint-Aubin"),
    "collectivite.telephone": (_("Téléphone de la collectivité"), "03 83 00 20 00"),
    "destinataire.civilite": (_("Civilité du destinataire (Madame, Monsieur)"), "Madame"),
    "destinataire.prenom": (_("Prénom du destinataire"), "Camille"),
    "destinataire.nom": (_("Nom du destinataire"), "Martin"),
    "lien": (_("Adresse de la page à consulter"), "https://saint-aubin.example.org/compte/"),
}


@dataclass(frozen=True)
class MessageKind:
    key: str
    label: str
    subject: str
    body: str
    sms_text: str
    letter_text: str
    variables: dict = field(default_factory=dict)  # name -> (description, sample value)

    @property
    def all_variables(self):
        return {**COMMON_VARIABLES, **self.variables}


# Variables of the messages about one request (filled by `guichet.workflows.actions.request_context`).
REQUEST_VARIABLES = {
    "demande.code": (_("Numéro de suivi de la demande"), "RQ-7K4M-2P9X"),
    "demande.titre": (_("Titre de la démarche"), "Signalement d'un problème sur la voirie"),
    "demande.statut": (_("Statut de la demande"), "Intervention planifiée"),
    "demande.service": (_("Service chargé de la demande"), "Services techniques"),
    "message": (_("Texte écrit par l'agent ou l'usager"), "L'équipe passera jeudi."),
}

GREETING = "{% if destinataire.civilite %}{{ destinataire.civilite }} {{ destinataire.nom }}{% else %}Bonjour{% endif %},"
SIGNATURE = "\n\nLes services de {{ collectivite.nom }}"

KINDS = {
    kind.key: kind
    for kind in [
        MessageKind(
            key="account.welcome",
            label=_("Bienvenue (adresse confirmée)"),
            subject="Bienvenue sur le guichet de {{ collectivite.nom }}",
            body=GREETING + "\n\nVotre compte est prêt : vous pouvez faire vos démarches en ligne et les suivre depuis "
            "votre espace.\n\nVotre espace : {{ lien }}" + SIGNATURE,
            sms_text="{{ collectivite.nom }} : votre compte est prêt. Suivez vos démarches sur {{ lien }}",
            letter_text=GREETING + "\n\nVotre compte sur le guichet en ligne de {{ collectivite.nom }} est prêt. "
            "Vous pouvez y faire vos démarches et les suivre.\n\nNous restons à votre disposition à l'accueil "
            "et au {{ collectivite.telephone }}." + SIGNATURE,
        ),
        MessageKind(
            key="message.free",
            label=_("Message d'un service"),
            subject="{{ objet }}",
            body=GREETING + "\n\n{{ message }}" + SIGNATURE,
            sms_text="{{ collectivite.nom }} : {{ message }}",
            letter_text=GREETING + "\n\n{{ message }}" + SIGNATURE,
            variables={
                "objet": (_("Objet du message"), "Votre dossier"),
                "message": (_("Texte écrit par l'agent"), "Votre dossier est complet."),
            },
        ),
        MessageKind(
            key="request.receipt",
            label=_("Accusé de réception d'une demande"),
            subject="Accusé de réception de votre demande {{ demande.code }}",
            body=GREETING + "\n\nNous avons bien reçu le {{ demande.date }} votre demande « {{ demande.titre }} ». "
            "Son numéro de suivi est {{ demande.code }}.\n\nService chargé de votre demande : {{ demande.service }}."
            "{% if demande.delai %}\nElle sera traitée au plus tard le {{ demande.delai }}.{% endif %}"
            "\n\n{{ demande.silence }}\n\nSuivez votre demande et téléchargez l'accusé de réception : {{ lien }}"
            + SIGNATURE,
            sms_text="{{ collectivite.nom }} : demande {{ demande.code }} bien reçue le {{ demande.date }}. "
            "Suivi : {{ lien }}",
            letter_text=GREETING + "\n\nNous avons bien reçu le {{ demande.date }} votre demande « {{ demande.titre }} "
            "», enregistrée sous le numéro {{ demande.code }}.\n\nService chargé de votre demande : "
            "{{ demande.service }}.{% if demande.delai %}\nElle sera traitée au plus tard le {{ demande.delai }}."
            "{% endif %}\n\n{{ demande.silence }}" + SIGNATURE,
            variables={
                "demande.code": (_("Numéro de suivi de la demande"), "RQ-7K4M-2P9X"),
                "demande.titre": (_("Titre de la démarche"), "Demande d'acte de naissance"),
                "demande.service": (_("Service chargé de la demande"), "État civil"),
                "demande.date": (_("Date de réception de la demande"), "3 mars 2026"),
                "demande.delai": (_("Date limite de traitement (vide sans délai)"), "2 avril 2026"),
                "demande.silence": (
                    _("Ce que vaut le silence de l'administration à l'issue du délai, et les voies de recours"),
                    "Si aucune décision ne vous a été notifiée au plus tard le 2 avril 2026, votre demande sera "
                    "réputée acceptée (décision implicite d'acceptation).",
                ),
            },
        ),
        MessageKind(
            key="request.status_changed",
            label=_("Changement de statut d'une demande"),
            subject="Votre demande {{ demande.code }} : {{ demande.statut }}",
            body=GREETING + "\n\nVotre demande « {{ demande.titre }} » (numéro de suivi {{ demande.code }}) est "
            "maintenant : {{ demande.statut }}.{% if message %}\n\n{{ message }}{% endif %}"
            "\n\nSuivez votre demande : {{ lien }}" + SIGNATURE,
            sms_text="{{ collectivite.nom }} : votre demande {{ demande.code }} est maintenant « {{ demande.statut }} ». "
            "Suivi : {{ lien }}",
            letter_text=GREETING + "\n\nVotre demande « {{ demande.titre }} », enregistrée sous le numéro "
            "{{ demande.code }}, est maintenant : {{ demande.statut }}.{% if message %}\n\n{{ message }}{% endif %}"
            + SIGNATURE,
            variables={
                "demande.code": (_("Numéro de suivi de la demande"), "RQ-7K4M-2P9X"),
                "demande.titre": (_("Titre de la démarche"), "Signalement d'un problème sur la voirie"),
                "demande.statut": (_("Nouveau statut de la demande"), "Intervention planifiée"),
                "demande.service": (_("Service chargé de la demande"), "Services techniques"),
                "message": (_("Précision ajoutée par le circuit (peut être vide)"), "L'équipe passera jeudi."),
            },
        ),
        MessageKind(
            key="request.message",
            label=_("Message du service sur une demande"),
            subject="Votre demande {{ demande.code }} : message du service",
            body=GREETING + "\n\nLe service {{ demande.service }} vous écrit au sujet de votre demande « "
            "{{ demande.titre }} » (numéro de suivi {{ demande.code }}) :\n\n{{ message }}"
            "\n\nRépondez ou suivez votre demande : {{ lien }}" + SIGNATURE,
            sms_text="{{ collectivite.nom }} : nouveau message sur votre demande {{ demande.code }}. {{ lien }}",
            letter_text=GREETING + "\n\nAu sujet de votre demande « {{ demande.titre }} », enregistrée sous le "
            "numéro {{ demande.code }} :\n\n{{ message }}" + SIGNATURE,
            variables=REQUEST_VARIABLES,
        ),
        MessageKind(
            key="request.answer",
            label=_("Réponse écrite à une demande"),
            subject="Réponse à votre demande {{ demande.code }}",
            body=GREETING + "\n\nEn réponse à votre demande « {{ demande.titre }} » (numéro de suivi "
            "{{ demande.code }}) :\n\n{{ message }}\n\nVotre demande : {{ lien }}" + SIGNATURE,
            sms_text="{{ collectivite.nom }}, demande {{ demande.code }} : {{ message }}",
            letter_text=GREETING + "\n\nEn réponse à votre demande « {{ demande.titre }} », enregistrée sous le "
            "numéro {{ demande.code }} :\n\n{{ message }}" + SIGNATURE,
            variables=REQUEST_VARIABLES,
        ),
        MessageKind(
            key="request.citizen_message",
            label=_("Message d'un usager sur une demande (aux agents)"),
            subject="Demande {{ demande.code }} : nouveau message de l'usager",
            body=GREETING + "\n\nL'usager a écrit au sujet de la demande « {{ demande.titre }} » ({{ demande.code }})"
            " :\n\n{{ message }}\n\nLa demande : {{ lien }}" + SIGNATURE,
            sms_text="Demande {{ demande.code }} : nouveau message de l'usager. {{ lien }}",
            letter_text=GREETING + "\n\nL'usager a écrit au sujet de la demande {{ demande.code }} :\n\n{{ message }}"
            + SIGNATURE,
            variables=REQUEST_VARIABLES,
        ),
        MessageKind(
            key="request.merged",
            label=_("Demande regroupée avec une autre"),
            subject="Votre demande {{ demande.code }} est regroupée avec la demande {{ principale.code }}",
            body=GREETING + "\n\nVotre demande « {{ demande.titre }} » ({{ demande.code }}) porte sur le même sujet "
            "qu'une autre demande, {{ principale.code }} : elles sont désormais traitées ensemble et vous serez "
            "tenu(e) informé(e) de son avancement.{% if message %}\n\n{{ message }}{% endif %}\n\nSuivi : {{ lien }}"
            + SIGNATURE,
            sms_text="{{ collectivite.nom }} : votre demande {{ demande.code }} est regroupée avec "
            "{{ principale.code }}, traitées ensemble. {{ lien }}",
            letter_text=GREETING + "\n\nVotre demande « {{ demande.titre }} » ({{ demande.code }}) porte sur le même "
            "sujet que la demande {{ principale.code }} : elles sont désormais traitées ensemble."
            "{% if message %}\n\n{{ message }}{% endif %}" + SIGNATURE,
            variables={**REQUEST_VARIABLES,
                       "principale.code": (_("Numéro de suivi de la demande qui regroupe"), "RQ-3H8N-5Q2W")},
        ),
        MessageKind(
            key="request.reopen_decision",
            label=_("Décision sur une demande de réouverture"),
            subject="Votre demande {{ demande.code }} : {% if reouverte %}rouverte{% else %}réouverture refusée{% endif %}",
            body=GREETING + "\n\n{% if reouverte %}Le service a rouvert votre demande « {{ demande.titre }} » "
            "({{ demande.code }}) : elle est de nouveau en cours de traitement.{% else %}Le service n'a pas rouvert "
            "votre demande « {{ demande.titre }} » ({{ demande.code }}).{% endif %}{% if message %}\n\n{{ message }}"
            "{% endif %}\n\nVotre demande : {{ lien }}" + SIGNATURE,
            sms_text="{{ collectivite.nom }} : demande {{ demande.code }} {% if reouverte %}rouverte{% else %}"
            "non rouverte{% endif %}. {{ lien }}",
            letter_text=GREETING + "\n\n{% if reouverte %}Le service a rouvert votre demande {{ demande.code }}."
            "{% else %}Le service n'a pas rouvert votre demande {{ demande.code }}.{% endif %}{% if message %}"
            "\n\n{{ message }}{% endif %}" + SIGNATURE,
            variables={**REQUEST_VARIABLES,
                       "reouverte": (_("Vrai si la demande est rouverte, faux si la réouverture est refusée"), True)},
        ),
        MessageKind(
            key="request.withdrawn",
            label=_("Demande retirée par l'usager (aux agents)"),
            subject="Demande {{ demande.code }} retirée par l'usager",
            body=GREETING + "\n\nL'usager a retiré sa demande « {{ demande.titre }} » ({{ demande.code }})."
            "{% if message %}\n\nMotif : {{ message }}{% endif %}\n\nLa demande : {{ lien }}" + SIGNATURE,
            sms_text="Demande {{ demande.code }} retirée par l'usager.",
            letter_text=GREETING + "\n\nL'usager a retiré sa demande {{ demande.code }}." + SIGNATURE,
            variables=REQUEST_VARIABLES,
        ),
        MessageKind(
            key="requests.overdue_digest",
            label=_("Demandes en retard (récapitulatif quotidien aux responsables)"),
            subject="{{ service }} : {{ nombre }} demande(s) en retard",
            body=GREETING + "\n\nLe service {{ service }} a {{ nombre }} demande(s) dont la date limite est "
            "dépassée :\n\n{{ liste }}\n\nLa file des demandes en retard : {{ lien }}" + SIGNATURE,
            sms_text="{{ service }} : {{ nombre }} demande(s) en retard. {{ lien }}",
            letter_text=GREETING + "\n\nLe service {{ service }} a {{ nombre }} demande(s) en retard :\n\n"
            "{{ liste }}" + SIGNATURE,
            variables={
                "service": (_("Nom du service"), "Services techniques"),
                "nombre": (_("Nombre de demandes en retard"), 3),
                "liste": (_("Les demandes en retard, une par ligne"),
                          "RQ-7K4M-2P9X — Signalement voirie — date limite 2 mars 2026"),
            },
        ),
        MessageKind(
            key="export.ready",
            label=_("Export prêt à télécharger (aux agents)"),
            subject="Votre export « {{ export.nom }} » est prêt",
            body=GREETING + "\n\nL'export « {{ export.nom }} » ({{ export.lignes }} lignes) est prêt : "
            "{{ lien }}" + SIGNATURE,
            sms_text="Export « {{ export.nom }} » prêt : {{ lien }}",
            letter_text=GREETING + "\n\nL'export « {{ export.nom }} » est prêt." + SIGNATURE,
            variables={"export.nom": (_("Nom de l'export"), "Demandes en retard"),
                       "export.lignes": (_("Nombre de lignes"), 120)},
        ),
        MessageKind(
            key="mail.answer",
            label=_("Réponse directe à un courriel ou un courrier reçu"),
            subject="{{ objet }}",
            body=GREETING + "\n\n{{ message }}" + SIGNATURE,
            sms_text="{{ collectivite.nom }} : {{ message }}",
            letter_text=GREETING + "\n\nEn réponse à votre courrier enregistré sous le numéro {{ courrier.numero }} :"
            "\n\n{{ message }}" + SIGNATURE,
            variables={
                "objet": (_("Objet de la réponse"), "Re: Horaires de la déchetterie"),
                "message": (_("Texte écrit par l'agent"), "La déchetterie est ouverte du mardi au samedi."),
                "courrier.numero": (_("Numéro d'enregistrement du message reçu"), "C-2026-000034"),
            },
        ),
        MessageKind(
            key="request.commune_informed",
            label=_("Avancement d'une demande, à la mairie de la commune membre concernée (intercommunalité)"),
            subject="{{ commune.nom }} : demande {{ demande.code }} — {{ etape }}",
            body="Bonjour,\n\nLa demande « {{ demande.titre }} » (numéro {{ demande.code }}) concerne votre "
            "commune{% if demande.lieu %} : {{ demande.lieu }}{% endif %}.\n\nSon avancement :\n{{ etapes }}"
            "{% if demande.statut %}\n\nStatut actuel : {{ demande.statut }}.{% endif %}"
            "{% if demande.service %}\nService chargé de la demande : {{ demande.service }}.{% endif %}"
            "\n\nVous recevez ce message parce que {{ collectivite.nom }} tient la mairie de la commune concernée "
            "informée des demandes faites par cette démarche." + SIGNATURE,
            sms_text="{{ collectivite.nom }} : demande {{ demande.code }} ({{ commune.nom }}) — {{ etape }}",
            letter_text="Bonjour,\n\nLa demande « {{ demande.titre }} » (numéro {{ demande.code }}) concerne votre "
            "commune.\n\nSon avancement :\n{{ etapes }}" + SIGNATURE,
            variables={
                "commune.nom": (_("Nom de la commune membre concernée"), "Saint-Aubin"),
                "demande.code": (_("Numéro de suivi de la demande"), "RQ-7K4M-2P9X"),
                "demande.titre": (_("Titre de la démarche"), "Signalement d'un problème sur la voirie"),
                "demande.statut": (_("Statut de la demande (vide s'il est interne)"), "Intervention planifiée"),
                "demande.service": (_("Service chargé de la demande"), "Services techniques"),
                "demande.lieu": (_("Adresse ou quartier de la demande"), "3 rue des Lilas, 54470 Saint-Aubin"),
                "etape": (_("La dernière étape, en quelques mots"), "Statut : Intervention planifiée"),
                "etapes": (_("Les étapes depuis le dernier message, une par ligne"),
                           "- 3 mars 2026 à 14 h 05 : demande envoyée\n- 3 mars 2026 à 14 h 05 : statut « Reçue »"),
            },
        ),
        MessageKind(
            key="notifications.test",
            label=_("Message d'essai"),
            subject="Message d'essai de {{ collectivite.nom }}",
            body=GREETING + "\n\nCeci est un message d'essai envoyé depuis l'administration du guichet."
            + SIGNATURE,
            sms_text="Message d'essai de {{ collectivite.nom }}.",
            letter_text=GREETING + "\n\nCeci est un courrier d'essai envoyé depuis l'administration du guichet."
            + SIGNATURE,
        ),
    ]
}


def get_kind(key):
    return KINDS[key]


def sample_context(kind):
    """A context with every variable of this kind set to its sample value (for previews and checks)."""
    context = {}
    for name, (_description, sample) in kind.all_variables.items():
        target = context
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = sample
    return context
