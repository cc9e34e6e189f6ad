"""Pages of the postal mail intake (under /agents/courrier-entrant/numeriser/): uploading scanned letters,
following their reading, reading one again.

Any verified agent of the collectivité may register letters (in a small commune the reception desk opens the
mail). Seeing a letter's text and scan, and reading it again, follow the mail room's rule
(`services.mails_for_agent`: administrators, the agents of its service, everyone while it has none); the scans
are downloaded through the mail room's `mailroom:attachment`. Everything is looked up through
`request.organisation` (another collectivité's letter is a 404). The rules live in `scans`.
"""

import datetime

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.models import Service
from guichet.agents.permissions import agent_required
from guichet.service_requests.forms import MultipleFileField, MultipleFileInput

from . import scans
from .models import IncomingMail

ACCEPT = ".pdf,.png,.jpg,.jpeg,.tif,.tiff,application/pdf,image/png,image/jpeg,image/tiff"


class ScanBatchForm(forms.Form):
    """The files of a batch and what the letters have in common (all optional but the files)."""

    files = MultipleFileField(
        label=gettext_lazy("Courriers numérisés"), required=False, allow_empty_file=True,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
        help_text=gettext_lazy(
            "Un fichier par courrier : PDF (toutes ses pages), ou image PNG, JPEG ou TIFF (plusieurs pages "
            "possibles). %(size)s Mo au plus par fichier, %(count)s fichiers au plus à la fois."
        ) % {"size": scans.MAX_FILE_MB, "count": scans.MAX_FILES},
    )
    received_on = forms.DateField(
        label=gettext_lazy("Reçus le"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Date d'arrivée en mairie. Sans date : aujourd'hui."),
        error_messages={"invalid": gettext_lazy("Indiquez une date valide, par exemple 02/12/2026.")},
    )
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service destinataire (facultatif)"), required=False, queryset=Service.objects.none(),
        empty_label=gettext_lazy("À répartir"),
    )
    sender_name = forms.CharField(
        label=gettext_lazy("Expéditeur (facultatif)"), required=False, max_length=200,
        help_text=gettext_lazy("Seulement si tous les courriers de l'envoi viennent de la même personne."),
    )
    sender_address = forms.CharField(
        label=gettext_lazy("Adresse de l'expéditeur (facultatif)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, organisation, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("received_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.of(organisation).filter(is_active=True).order_by("name")

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day is None:
            return None
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(_("La date de réception ne peut pas être dans le futur."))
        if day < today - datetime.timedelta(days=366 * 5):
            raise forms.ValidationError(_("La date de réception remonte à plus de cinq ans : vérifiez-la."))
        return day

    def clean_sender_name(self):
        return " ".join(self.cleaned_data["sender_name"].split())

    def clean_sender_address(self):
        return "\n".join(line.strip() for line in self.cleaned_data["sender_address"].strip().splitlines())


def _rows(mails):
    """What the progress table shows of each letter (text and scan only of those the agent may see)."""
    rows = []
    for mail in mails:
        scan = next((item for item in mail.attachments.all() if item.is_scan and item.file), None)
        report = scan.ocr_report or {}
        rows.append({
            "mail": mail, "visible": mail.visible, "scan": scan if mail.visible else None,
            "pending": mail.ocr_status == IncomingMail.OcrStatus.PENDING,
            "failed": mail.ocr_status == IncomingMail.OcrStatus.FAILED,
            "reason": report.get("reason", "") if mail.visible else "",
            "excerpt": " ".join((mail.ocr_text or "")[:200].split()) if mail.visible else "",
        })
    return rows


def _status_text(rows):
    waiting = sum(1 for row in rows if row["pending"])
    if waiting:
        return ngettext("Lecture en cours : %(waiting)s courrier sur %(total)s reste à lire.",
                        "Lecture en cours : %(waiting)s courriers sur %(total)s restent à lire.", waiting) % {
            "waiting": waiting, "total": len(rows)}
    return ngettext("Lecture terminée pour le courrier.", "Lecture terminée pour les %(total)s courriers.",
                    len(rows)) % {"total": len(rows)}


def _progress_context(mails, refusals=(), just_sent=False):
    rows = _rows(mails)
    return {"rows": rows, "status_text": _status_text(rows), "refusals": list(refusals),
            "progress_url": _progress_url(mails), "just_sent": just_sent}


def _progress_url(mails):
    return f"{reverse('mailroom:scan_progress')}?lettres={','.join(str(mail.pk) for mail in mails)}"


def _render_form(request, form, *, status=200):
    return render(request, "mailroom/scans/upload.html", {"form": form}, status=status)


@agent_required
@require_http_methods(["GET", "POST"])
def scan_upload(request):
    organisation = request.organisation
    if request.method != "POST":
        return _render_form(request, ScanBatchForm(organisation=organisation))
    form = ScanBatchForm(request.POST, request.FILES, organisation=organisation)
    if not form.is_valid():
        return _render_form(request, form, status=400)
    data = form.cleaned_data
    batch = scans.register_scans(
        organisation, request.user, request.FILES.getlist("files"), received_on=data["received_on"],
        service=data["service"], sender_name=data["sender_name"], sender_address=data["sender_address"],
    )
    if batch.error or not batch.mails:
        if batch.error:
            form.add_error("files", batch.error)
        else:
            for refusal in batch.refusals:
                form.add_error("files", refusal.message)
            form.add_error("files", _("Aucun courrier n'a été enregistré : aucun fichier n'a pu être accepté."))
        return _render_form(request, form, status=400)
    if not batch.refusals:
        return redirect(_progress_url(batch.mails))
    # Some files refused: the page says which (and why) next to the letters registered from the others.
    mails = scans.letters(request.user, organisation, [mail.pk for mail in batch.mails])
    return render(request, "mailroom/scans/progress.html", _progress_context(mails, batch.refusals, just_sent=True))


@agent_required
@require_http_methods(["GET"])
def scan_progress(request):
    ids = scans.parse_ids(request.GET.get("lettres"))
    mails = scans.letters(request.user, request.organisation, ids)
    if not mails:
        raise Http404(_("Aucun de ces courriers n'existe."))
    return render(request, "mailroom/scans/progress.html", _progress_context(mails))


@agent_required
@require_POST
def scan_read_again(request, pk):
    mail = scans.read_again(request.user, request.organisation, pk)
    if mail is None:
        raise Http404(_("Courrier introuvable."))
    return redirect(_progress_url([mail]))


# For `mailroom/urls.py`: `urlpatterns += scan_views.scan_urlpatterns` (under /agents/courrier-entrant/).
def _scan_urlpatterns():
    from django.urls import path

    return [
        path("numeriser/", scan_upload, name="scan_upload"),
        path("numeriser/suivi/", scan_progress, name="scan_progress"),
        path("numeriser/<int:pk>/relire/", scan_read_again, name="scan_read_again"),
    ]


scan_urlpatterns = _scan_urlpatterns()
