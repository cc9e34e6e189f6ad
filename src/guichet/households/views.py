"""The citizen's household (foyer): list, add, edit, delete members. Scoped to the citizen's own members."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from guichet.accounts.views import citizen_required, form_data

from .forms import HouseholdMemberForm
from .services import add_member, members_of


@citizen_required
def member_list(request):
    return render(request, "households/list.html", {"members": members_of(request.user)})


@citizen_required
def member_add(request):
    form = HouseholdMemberForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        member = add_member(request.user, **form.cleaned_data)
        messages.success(request, _("%(name)s a été ajouté à votre foyer.") % {"name": member})
        return redirect("households:list")
    return render(request, "households/form.html", {"form": form, "adding": True})


@citizen_required
def member_edit(request, pk):
    member = get_object_or_404(members_of(request.user), pk=pk)
    form = HouseholdMemberForm(form_data(request), instance=member)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Les informations de %(name)s ont été enregistrées.") % {"name": member})
        return redirect("households:list")
    return render(request, "households/form.html", {"form": form, "member": member, "adding": False})


@citizen_required
def member_delete(request, pk):
    member = get_object_or_404(members_of(request.user), pk=pk)
    if request.method == "POST":
        name = str(member)
        member.delete()
        messages.success(request, _("%(name)s a été retiré de votre foyer.") % {"name": name})
        return redirect("households:list")
    return render(request, "households/delete.html", {"member": member})
