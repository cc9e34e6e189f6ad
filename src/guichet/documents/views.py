"""« Mes documents » : the citizen's checked documents (type, validity), their files, and deleting them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guichet.accounts.views import citizen_required
from guichet.service_requests.files import attachment_response

from .services import delete_document, documents_of


@citizen_required
def document_list(request):
    documents = documents_of(request.user).select_related("checked_by")
    return render(request, "documents/list.html", {"documents": documents, "today": timezone.localdate()})


@citizen_required
def document_file(request, pk):
    document = get_object_or_404(documents_of(request.user), pk=pk)
    return attachment_response(document)


@require_http_methods(["GET", "POST"])
@citizen_required
def document_delete(request, pk):
    document = get_object_or_404(documents_of(request.user), pk=pk)
    if request.method == "POST":
        label = document.get_document_type_display()
        delete_document(document)
        messages.success(request, _("Le document « %(type)s » a été supprimé de votre espace.") % {"type": label})
        return redirect("documents:list")
    return render(request, "documents/delete.html", {"document": document})
