"""Forms of the workflow editor."""

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.connectors.services import METHODS as WEBHOOK_METHODS

from .actions import ACTIONS
from .validation import HEX_COLOUR, ROLES, _Checker

ROLE_CHOICES = [
    ("agent", gettext_lazy("Agents du service")),
    ("manager", gettext_lazy("Responsables du service")),
    ("admin", gettext_lazy("Administrateurs de la collectivité")),
]
NOTIFY_CHOICES = [
    ("citizen", gettext_lazy("L'usager")),
    ("service", gettext_lazy("Les agents du service")),
    ("address", gettext_lazy("Une adresse électronique")),
]


class WorkflowForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom du circuit"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, widget=forms.Textarea(
        attrs={"rows": 3}), max_length=2000)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Indiquez le nom du circuit."))
        return name


class StatusForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Libellé"), max_length=100)
    colour = forms.CharField(label=gettext_lazy("Couleur"), max_length=7, initial="#1f4e8c",
                             widget=forms.TextInput(attrs={"type": "color"}),
                             help_text=gettext_lazy("Au format #RRGGBB."))
    visible = forms.BooleanField(label=gettext_lazy("Visible par l'usager"), required=False, initial=True,
                                 help_text=gettext_lazy("Un statut interne n'est montré qu'aux agents."))
    final = forms.BooleanField(label=gettext_lazy("Statut final (la demande est close)"), required=False)

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        if not label:
            raise forms.ValidationError(_("Indiquez le libellé du statut."))
        return label

    def clean_colour(self):
        colour = self.cleaned_data["colour"].strip()
        if not HEX_COLOUR.match(colour):
            raise forms.ValidationError(_("Indiquez une couleur au format #RRGGBB, par exemple #1f4e8c."))
        return colour.lower()


class StatusEditForm(StatusForm):
    initial_status = forms.BooleanField(label=gettext_lazy("Statut initial (celui des demandes reçues)"),
                                        required=False)


class ButtonForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Libellé du bouton"), max_length=100)
    roles = forms.MultipleChoiceField(label=gettext_lazy("Qui peut l'utiliser"), choices=ROLE_CHOICES,
                                      widget=forms.CheckboxSelectMultiple)

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        if not label:
            raise forms.ValidationError(_("Indiquez le libellé du bouton."))
        return label

    def clean_roles(self):
        return [role for role in ROLES if role in self.cleaned_data["roles"]]


class TimerForm(forms.Form):
    WHEN = [("after_days", gettext_lazy("Après un nombre de jours passés dans ce statut")),
            ("on_deadline", gettext_lazy("Quand la date limite de la demande est dépassée"))]
    when = forms.ChoiceField(label=gettext_lazy("Déclenchement"), choices=WHEN, widget=forms.RadioSelect,
                             initial="after_days")
    days = forms.IntegerField(label=gettext_lazy("Nombre de jours"), required=False, min_value=1, max_value=36500)
    goto = forms.ChoiceField(label=gettext_lazy("Aller au statut"))

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goto"].choices = [(s["id"], s.get("label") or s["id"]) for s in statuses]

    def clean(self):
        data = super().clean()
        if data.get("when") == "after_days" and not data.get("days"):
            self.add_error("days", _("Indiquez le nombre de jours."))
        return data

    def timer(self):
        data = self.cleaned_data
        if data["when"] == "on_deadline":
            return {"on_deadline": True, "goto": data["goto"]}
        return {"after_days": data["days"], "goto": data["goto"]}


class ActionForm(forms.Form):
    """One form for every action type: only the fields of the chosen type are used."""

    type = forms.ChoiceField(label=gettext_lazy("Action"))
    status = forms.ChoiceField(label=gettext_lazy("Statut (changer de statut)"), required=False)
    then = forms.ChoiceField(label=gettext_lazy("Statut après la réponse de l'usager (complément)"), required=False)
    message_required = forms.BooleanField(
        label=gettext_lazy("L'agent écrit sa demande de complément en appuyant sur le bouton"), required=False)
    service = forms.CharField(label=gettext_lazy("Identifiant du service (attribuer)"), required=False,
                              max_length=80)
    agent = forms.CharField(label=gettext_lazy("Courriel de l'agent, ou « self » pour l'agent qui agit (attribuer)"),
                            required=False, max_length=254)
    to = forms.ChoiceField(label=gettext_lazy("Destinataire (message)"), choices=[("", "—")] + NOTIFY_CHOICES,
                           required=False)
    address = forms.CharField(label=gettext_lazy("Adresse électronique (message à une adresse)"), required=False,
                              max_length=254)
    message = forms.ChoiceField(label=gettext_lazy("Message à envoyer"), required=False)
    text = forms.CharField(
        label=gettext_lazy("Texte (message, note interne ou complément demandé)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
        help_text=gettext_lazy("Pour une note sur un bouton, laissez vide : l'agent l'écrira."))
    title = forms.CharField(label=gettext_lazy("Titre du document"), required=False, max_length=150)
    template = forms.CharField(
        label=gettext_lazy("Modèle du document"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50_000,
        help_text=gettext_lazy("Variables : {{ demande.code }}, {{ demandeur.nom }}, {{ reponses.<champ> }}, "
                               "{{ date }}…"))
    url = forms.CharField(label=gettext_lazy("Adresse du service externe (webhook)"), required=False, max_length=500)
    secret = forms.CharField(label=gettext_lazy("Secret partagé (webhook, 16 caractères au moins)"), required=False,
                             max_length=200)
    connector = forms.CharField(
        label=gettext_lazy("Identifiant du connecteur (webhook par connecteur, au lieu de l'adresse et du secret)"),
        required=False, max_length=50,
        help_text=gettext_lazy("Un connecteur déclaré dans Administration › Connecteurs, par exemple « etat-civil »."))
    method = forms.ChoiceField(label=gettext_lazy("Méthode HTTP (webhook par connecteur)"), required=False,
                               initial="POST",
                               choices=[(method, method) for method in WEBHOOK_METHODS])
    path = forms.CharField(label=gettext_lazy("Chemin ajouté à l'adresse du connecteur (webhook par connecteur)"),
                           required=False, max_length=500, help_text=gettext_lazy("Par exemple « /dossiers »."))
    mapping = forms.CharField(
        label=gettext_lazy("Correspondance de la réponse (webhook par connecteur, JSON)"), required=False,
        max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("{\"variable\": \"chemin.dans.la.reponse\"}, par exemple "
                               "{\"numero_dossier\": \"dossier.numero\"} : la valeur est enregistrée dans la "
                               "demande ({{ reponses.numero_dossier }} dans les documents)."))
    days = forms.IntegerField(label=gettext_lazy("Nombre de jours (date limite, anonymisation)"), required=False,
                              min_value=1, max_value=36500)
    working_days = forms.BooleanField(label=gettext_lazy("Jours ouvrés (date limite)"), required=False)
    from_procedure = forms.BooleanField(label=gettext_lazy("Délai de la démarche (date limite)"), required=False)

    def __init__(self, *args, definition=None, in_button=True, organisation=None, **kwargs):
        from guichet.notifications.catalogue import KINDS

        super().__init__(*args, **kwargs)
        if organisation is not None:
            self._list_connectors(organisation)
        self.definition = definition or {}
        self.in_button = in_button
        statuses = [(s["id"], s.get("label") or s["id"]) for s in self.definition.get("statuses", [])
                    if isinstance(s, dict) and isinstance(s.get("id"), str)]
        self.fields["type"].choices = [(key, kind.label) for key, kind in ACTIONS.items()]
        self.fields["status"].choices = [("", "—")] + statuses
        self.fields["then"].choices = [("", "—")] + statuses
        self.fields["message"].choices = [("", "—")] + [(key, kind.label) for key, kind in KINDS.items()]

    def _list_connectors(self, organisation):
        """The collectivité's active connectors, named in the connector field's help (one query)."""
        from guichet.connectors.models import Connector

        names = [f"« {slug} » ({name})" for slug, name in Connector.objects.of(organisation).filter(is_active=True)
                 .order_by("slug").values_list("slug", "name")[:30]]
        field = self.fields["connector"]
        field.help_text = (_("Connecteurs déclarés : %(names)s.") % {"names": ", ".join(names)} if names else
                           _("Aucun connecteur n'est déclaré : créez-en un dans Administration › Connecteurs."))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        kind = data.get("type")
        action = {"type": kind}
        text = (data.get("text") or "").strip()
        if kind == "goto":
            action["status"] = data.get("status")
        elif kind == "assign":
            if data.get("service"):
                action["service"] = data["service"].strip()
            if data.get("agent"):
                action["agent"] = data["agent"].strip()
        elif kind == "notify":
            action.update({"to": data.get("to"), "message": data.get("message")})
            if data.get("to") == "address":
                action["address"] = (data.get("address") or "").strip()
            if text:
                action["text"] = text
        elif kind == "request_info":
            action["then"] = data.get("then")
            if data.get("message_required"):
                action["message_required"] = True
            if text:
                action["message"] = text
        elif kind == "note":
            if text:
                action["text"] = text
        elif kind == "generate_document":
            action.update({"title": (data.get("title") or "").strip(), "template": data.get("template") or ""})
        elif kind == "webhook":
            if (data.get("connector") or "").strip():
                action.update({"connector": data["connector"].strip(), "method": data.get("method") or "POST",
                               "path": (data.get("path") or "").strip()})
                mapping = (data.get("mapping") or "").strip()
                if mapping:
                    try:
                        action["mapping"] = json.loads(mapping)
                    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested too deep
                        self.add_error("mapping", _("La correspondance n'est pas du JSON valide : écrivez par exemple "
                                                    "{\"numero_dossier\": \"dossier.numero\"}."))
                        return data
            else:
                action.update({"url": (data.get("url") or "").strip(), "secret": data.get("secret") or ""})
        elif kind == "set_deadline":
            if data.get("from_procedure"):
                action["from_procedure"] = True
            else:
                action["days"] = data.get("days")
                action["working_days"] = bool(data.get("working_days"))
        elif kind == "anonymise_after":
            action["days"] = data.get("days")
        checker = _Checker(self.definition)
        checker.action("action", action, in_button=self.in_button)
        field_of = {"status": "status", "then": "then", "service": "service", "agent": "agent", "to": "to",
                    "address": "address", "message": "message" if kind == "notify" else "text", "text": "text",
                    "title": "title", "template": "template", "url": "url", "secret": "secret", "days": "days",
                    "connector": "connector", "method": "method", "path": "path", "mapping": "mapping",
                    "working_days": "working_days", "message_required": "message_required"}
        for problem in checker.problems:
            leaf = problem.location.split(".")[-1] if "." in problem.location else ""
            self.add_error(field_of.get(leaf), problem.message)
        self.action = action
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Fichier JSON du circuit"),
                           help_text=gettext_lazy("Un fichier exporté d'un guichet (1 Mo au plus)."))
