"""Agents' pages for postal letters: the batches, their PDF, and « posted ».

Any TOTP-verified agent of the collectivité may use them; every object is looked up within
request.organisation, so another collectivité's ids give 404. PDFs are generated on request, never stored.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guichet.agents.permissions import agent_required

from . import services
from .models import Letter, LetterBatch
from .pdf import render_letters

BATCHES_PER_PAGE = 20


def _batches(request):
    return LetterBatch.objects.of(request.organisation)


def _pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal data: neither shared caches nor the browser's cache keep it.
    response["Cache-Control"] = "private, no-store"
    return response


@agent_required
def batch_list(request):
    batches = _batches(request).annotate(letter_count=Count("letters")).order_by("-date", "-pk")
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    waiting = _batches(request).exclude(status=LetterBatch.Status.POSTED).annotate(letter_count=Count("letters"))
    return render(request, "letters/batch_list.html", {
        "page": page,
        "waiting": waiting.order_by("date", "pk"),
    })


@agent_required
def batch_detail(request, pk):
    batch = get_object_or_404(_batches(request).select_related("downloaded_by", "posted_by"), pk=pk)
    letters = batch.letters.select_related("delivery__notification__recipient").order_by("pk")
    return render(request, "letters/batch_detail.html", {"batch": batch, "letters": letters})


@require_http_methods(["GET", "POST"])
@agent_required
def batch_pdf(request, pk):
    """POST: download (the first download closes the batch). GET: download again a batch already closed."""
    batch = get_object_or_404(_batches(request), pk=pk)
    if request.method == "POST":
        services.close_for_download(batch, request.user)
    elif batch.is_open:
        messages.info(request, _("Utilisez le bouton « Télécharger le PDF du lot » : il ferme le lot aux "
                                 "nouveaux courriers avant l'impression."))
        return redirect("letters:batch_detail", pk=batch.pk)
    duplex = request.POST.get("recto_verso") == "1" or request.GET.get("recto_verso") == "1"
    letters = list(batch.letters.select_related("delivery__notification", "organisation").order_by("pk"))
    if not letters:
        # Its letters were erased with their recipient's account: nothing to print.
        messages.info(request, _("Ce lot ne contient plus aucun courrier : il n'y a rien à imprimer."))
        return redirect("letters:batch_detail", pk=batch.pk)
    title = _("Courriers du %(date)s — %(name)s") % {"date": batch.date.strftime("%d/%m/%Y"),
                                                      "name": request.organisation.name}
    content = render_letters(letters, duplex=duplex, title=title)
    suffix = "-recto-verso" if duplex else ""
    return _pdf_response(content, f"courriers-{batch.date:%Y-%m-%d}-lot-{batch.pk}{suffix}.pdf")


@require_POST
@agent_required
def batch_posted(request, pk):
    batch = get_object_or_404(_batches(request), pk=pk)
    try:
        services.mark_posted(batch, request.user)
    except services.BatchStateError as error:
        messages.error(request, str(error))
    else:
        count = batch.letters.count()
        messages.success(request, _("Lot marqué comme posté : %(count)s courrier(s) envoyé(s).") % {"count": count})
    return redirect("letters:batch_detail", pk=batch.pk)


@agent_required
def letter_pdf(request, pk):
    """One letter's PDF (to check it, or print it again); does not close its batch."""
    letter = get_object_or_404(
        Letter.objects.of(request.organisation).select_related("delivery__notification", "batch", "organisation"),
        pk=pk,
    )
    content = render_letters([letter], title=letter.delivery.notification.subject)
    return _pdf_response(content, f"courrier-{letter.short_reference.lower()}.pdf")
