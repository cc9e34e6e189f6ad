"""The queue page's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _


class QueueFilterForm(forms.Form):
    procedure = forms.ChoiceField(label=_("Démarche"), required=False)
    status = forms.ChoiceField(label=_("Statut"), required=False)

    def __init__(self, data=None, *, user, organisation):
        super().__init__(data)
        from guichet.procedures.models import Procedure, ProcedureVersion
        from guichet.service_requests.agent_services import status_choices
        from guichet.service_requests.agent_views import _procedures_for

        procedures = list(_procedures_for(user, organisation).only("pk", "title"))
        workflows = ProcedureVersion.objects.of(organisation).filter(
            procedure_id__in=[procedure.pk for procedure in procedures]
        ).values_list("workflow", flat=True)
        self.fields["procedure"].choices = [("", _("Toutes les démarches"))] + [
            (str(procedure.pk), procedure.title) for procedure in procedures
        ]
        self.fields["status"].choices = [("", _("Tous les statuts"))] + list(status_choices(workflows))
        del Procedure

    def apply(self, requests):
        if self.cleaned_data.get("procedure"):
            requests = requests.filter(procedure_id=self.cleaned_data["procedure"])
        if self.cleaned_data.get("status"):
            requests = requests.filter(status=self.cleaned_data["status"])
        return requests
