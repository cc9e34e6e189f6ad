"""The queue page's filters, its bulk actions, saved views, and the assignment and priority forms."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.db.models import F
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from guichet.service_requests.models import ServiceRequest

from . import services

ME, NOBODY = "me", "nobody"
OPEN, CLOSED, ALL = "open", "closed", "all"

SORTS = {
    "deadline": (_("Date limite, la plus proche d'abord"), [F("deadline").asc(nulls_last=True), "pk"]),
    "recent": (_("Envoi, la plus récente d'abord"), ["-submitted_at", "-pk"]),
    "oldest": (_("Envoi, la plus ancienne d'abord"), ["submitted_at", "pk"]),
    "priority": (_("Priorité, la plus haute d'abord"), ["-priority", F("deadline").asc(nulls_last=True), "pk"]),
    "updated": (_("Dernière mise à jour, la plus récente d'abord"), ["-updated_at", "-pk"]),
}
DEFAULT_SORT = "deadline"
DEADLINE_STATES = [
    (services.OVERDUE, _("En retard")),
    (services.DUE_SOON, _("Bientôt dues (3 jours)")),
    (services.ON_TIME, _("Dans les temps")),
    (services.NO_DEADLINE, _("Sans date limite")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class DataChoiceField(forms.ChoiceField):
    """A choice among values found in the data (cached): a value missing from the cache is looked up afresh
    once before being refused."""

    def __init__(self, *args, refresh=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refresh = refresh

    def valid_value(self, value):
        if super().valid_value(value):
            return True
        if self.refresh is not None:
            self.choices, self.refresh = self.refresh(), None
            return super().valid_value(value)
        return False


class FastSelect(forms.Select):
    """A <select> written in Python: Django draws each option with a template, which costs on the queue page
    (a hundred options in its filters and bulk actions). Same HTML, same attributes (id, required, described by)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (str(option), mark_safe(" selected") if str(option) in chosen else "", label)
            for option, label in self.choices
        ))
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)),
                           options)


def fast_selects(form):
    """Give the form's plain selects the FastSelect widget (once their choices are set)."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            widget = FastSelect(attrs=field.widget.attrs)
            widget.choices = field.choices
            widget.is_required = field.widget.is_required
            field.widget = widget


# Dates outside these bounds cannot be turned into a moment of the database (year 1 in Paris is before year 1 in
# UTC; the day after 31/12/9999 does not exist): refused with a message instead of an error 500.
MIN_DATE, MAX_DATE = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)


def plausible_date(value):
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise forms.ValidationError(_("Saisissez une date entre le 01/01/1900 et le 31/12/2999."), code="out_of_range")


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class QueueFilterForm(forms.Form):
    """The queue's filters. Always bound (to the GET parameters, possibly none): empty means « all », except
    `state` (default: open requests) and `sort` (default: by deadline, soonest first, no deadline last)."""

    procedure = forms.ChoiceField(label=_("Démarche"), required=False)
    status = forms.ChoiceField(label=_("Statut"), required=False)
    deadline_state = forms.ChoiceField(label=_("Délai"), required=False)
    state = forms.ChoiceField(label=_("Ouvertes ou closes"), required=False)
    assignee = forms.ChoiceField(label=_("Agent en charge"), required=False)
    priority = forms.ChoiceField(label=_("Priorité"), required=False)
    channel = forms.ChoiceField(label=_("Canal"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    district = DataChoiceField(label=_("Quartier ou commune"), required=False)
    address = forms.CharField(label=_("Adresse (contient)"), required=False, max_length=200)
    submitted_from = forms.DateField(label=_("Envoyée à partir du"), required=False, widget=DateInput(),
                                     validators=[plausible_date])
    submitted_to = forms.DateField(label=_("Envoyée jusqu'au"), required=False, widget=DateInput(),
                                   validators=[plausible_date])
    sort = forms.ChoiceField(label=_("Trier par"), required=False)

    def __init__(self, data=None, *, user, organisation):
        super().__init__(data if data is not None else {})
        from guichet.procedures.models import ProcedureVersion
        from guichet.service_requests.agent_services import status_choices

        self.user, self.organisation = user, organisation
        procedures = list(services.procedures_for(user, organisation).only("pk", "title"))
        self.workflows = list(ProcedureVersion.objects.of(organisation).filter(
            procedure_id__in=[procedure.pk for procedure in procedures]
        ).values_list("workflow", flat=True))
        self.colleagues = list(services.colleagues_of(user, organisation).only("pk", "first_name", "last_name", "email"))
        self.services = list(services.working_services(user, organisation).only("pk", "name"))
        fields = self.fields
        fields["procedure"].choices = [("", _("Toutes les démarches"))] + [
            (str(procedure.pk), procedure.title) for procedure in procedures
        ]
        fields["status"].choices = [("", _("Tous les statuts"))] + list(status_choices(self.workflows))
        fields["deadline_state"].choices = [("", _("Tous les délais"))] + DEADLINE_STATES
        fields["state"].choices = [(OPEN, _("Ouvertes")), (CLOSED, _("Closes")), (ALL, _("Ouvertes et closes"))]
        fields["assignee"].choices = [("", _("Tous")), (ME, _("Moi")), (NOBODY, _("Personne"))] + [
            (str(agent.pk), agent.get_full_name() or agent.email) for agent in self.colleagues if agent.pk != user.pk
        ]
        fields["priority"].choices = [("", _("Toutes les priorités"))] + [
            (str(value), label) for value, label in reversed(ServiceRequest.Priority.choices)
        ]
        fields["channel"].choices = [("", _("Tous les canaux"))] + list(ServiceRequest.Channel.choices)
        fields["service"].choices = [("", _("Tous mes services"))] + [
            (str(service.pk), service.name) for service in self.services
        ]
        district_choices = lambda refresh=False: [("", _("Tous"))] + [  # noqa: E731
            (name, name) for name in services.district_choices(organisation, refresh=refresh)
        ]
        fields["district"].choices = district_choices()
        fields["district"].refresh = lambda: district_choices(refresh=True)
        fields["sort"].choices = [(key, label) for key, (label, _order) in SORTS.items()]
        fast_selects(self)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", _("Cette date doit être postérieure ou égale à la date de début."))
        return cleaned

    def apply(self, requests):
        """The filtered and ordered queryset (call once the form is valid)."""
        data = self.cleaned_data
        if data.get("procedure"):
            requests = requests.filter(procedure_id=int(data["procedure"]))
        if data.get("status"):
            requests = requests.filter(status=data["status"])
        state = data.get("state") or OPEN
        if state == OPEN:
            requests = requests.filter(closed_at__isnull=True, withdrawn_at__isnull=True)
        elif state == CLOSED:
            requests = requests.exclude(closed_at__isnull=True, withdrawn_at__isnull=True)
        if data.get("deadline_state"):
            requests = requests.filter(services.deadline_state_q(data["deadline_state"]))
        assignee = data.get("assignee")
        if assignee == ME:
            requests = requests.filter(assigned_to=self.user)
        elif assignee == NOBODY:
            requests = requests.filter(assigned_to__isnull=True)
        elif assignee:
            requests = requests.filter(assigned_to_id=int(assignee))
        if data.get("priority"):
            requests = requests.filter(priority=int(data["priority"]))
        if data.get("channel"):
            requests = requests.filter(channel=data["channel"])
        if data.get("service"):
            requests = requests.filter(service_id=int(data["service"]))
        if data.get("district"):
            requests = requests.filter(district=data["district"])
        if data.get("address", "").strip():
            requests = requests.filter(address__icontains=data["address"].strip())
        if data.get("submitted_from"):
            requests = requests.filter(submitted_at__gte=_start_of(data["submitted_from"]))
        if data.get("submitted_to"):
            requests = requests.filter(submitted_at__lt=_start_of(data["submitted_to"] + datetime.timedelta(days=1)))
        return requests.order_by(*SORTS[data.get("sort") or DEFAULT_SORT][1])

    def querystring(self):
        """The filters given (not the page), as a query string: what a saved view keeps."""
        pairs = []
        for name in self.fields:
            value = self.data.get(name, "")
            if isinstance(value, str) and value.strip():
                pairs.append((name, value.strip()))
        return urlencode(pairs)

    @property
    def is_filtered(self):
        return bool(self.querystring())


class BulkForm(forms.Form):
    """One action on the requests ticked in the queue."""

    ASSIGN_ME, ASSIGN, UNASSIGN, PRESS, MESSAGE = "assign_me", "assign", "unassign", "press", "message"

    action = forms.ChoiceField(label=_("Action sur les demandes cochées"), choices=[
        ("", _("Choisissez une action")),
        (ASSIGN_ME, _("Me les attribuer")),
        (ASSIGN, _("Les attribuer à un collègue")),
        (UNASSIGN, _("Retirer leur attribution")),
        (PRESS, _("Changer leur statut (action du circuit)")),
        (MESSAGE, _("Écrire aux usagers")),
    ])
    assignee = forms.ChoiceField(label=_("Collègue"), required=False,
                                 help_text=_("Pour « Les attribuer à un collègue »."))
    button = forms.ChoiceField(label=_("Action du circuit"), required=False,
                               help_text=_("Pour « Changer leur statut » : les demandes où elle n'est pas "
                                           "possible sont laissées de côté."))
    message = forms.CharField(label=_("Message aux usagers"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              max_length=5000, help_text=_("Pour « Écrire aux usagers »."))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, user, colleagues=(), workflows=(), **kwargs):
        kwargs.setdefault("auto_id", "lot_%s")  # the filters' form on the same page has an `assignee` too
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["assignee"].choices = [("", _("Choisissez un collègue"))] + [
            (str(agent.pk), agent.get_full_name() or agent.email) for agent in colleagues
        ]
        self.fields["button"].choices = [("", _("Choisissez une action du circuit"))] + services.bulk_buttons(workflows)
        fast_selects(self)

    def ticked(self):
        """The ids of the ticked rows as posted (the service keeps only the requests the agent may see)."""
        getlist = getattr(self.data, "getlist", None)
        return list(dict.fromkeys(getlist("requests"))) if getlist else []

    def clean(self):
        cleaned = super().clean()
        cleaned["requests"] = self.ticked()
        action = cleaned.get("action")
        if action == self.ASSIGN and not cleaned.get("assignee"):
            self.add_error("assignee", _("Choisissez le collègue à qui attribuer les demandes."))
        if action == self.PRESS and not cleaned.get("button"):
            self.add_error("button", _("Choisissez l'action du circuit à effectuer."))
        if action == self.MESSAGE and not (cleaned.get("message") or "").strip():
            self.add_error("message", _("Écrivez le message à envoyer aux usagers."))
        if action and not cleaned.get("requests"):
            self.add_error(None, _("Cochez au moins une demande dans la liste."))
        return cleaned


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Nom de la vue"), max_length=100,
                           help_text=_("Par exemple « Mes demandes en retard »."))
    params = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(self, data=None, *, user, **kwargs):
        kwargs.setdefault("auto_id", "vue_%s")
        super().__init__(data, **kwargs)
        self.user = user

    def clean_name(self):
        from .models import SavedView

        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Donnez un nom à la vue."))
        if SavedView.objects.of(self.user.organisation).filter(owner=self.user, name__iexact=name).exists():
            raise forms.ValidationError(_("Vous avez déjà une vue de ce nom."))
        return name


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Attribuer à"))
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data=None, *, service_request, user, **kwargs):
        super().__init__(data, **kwargs)
        self.agents = list(services.assignable_agents(service_request))
        me = [(ME, _("Moi-même"))] if any(agent.pk == user.pk for agent in self.agents) else []
        self.fields["assignee"].choices = me + [
            (str(agent.pk), agent.get_full_name() or agent.email) for agent in self.agents if agent.pk != user.pk
        ] + [(NOBODY, _("Personne (retirer l'attribution)"))]
        self.initial.setdefault("lock_version", service_request.lock_version)
        fast_selects(self)

    def assignee_user(self, user):
        value = self.cleaned_data["assignee"]
        if value == ME:
            return user
        if value == NOBODY:
            return None
        return next(agent for agent in self.agents if str(agent.pk) == value)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priorité"), coerce=int, choices=ServiceRequest.Priority.choices)
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data=None, *, service_request, **kwargs):
        super().__init__(data, **kwargs)
        self.initial.setdefault("priority", service_request.priority)
        self.initial.setdefault("lock_version", service_request.lock_version)
