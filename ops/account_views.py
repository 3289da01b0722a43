"""Pages of the account's life that span every app: deletion and the data export."""

from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.account_forms import PasswordConfirmForm
from accounts.decorators import creator_required
from accounts.selectors import data_export_download
from core.page_errors import page_errors
from ops import account_deletion, export_request


@creator_required
@require_POST
@page_errors(redirect="settings")
def account_delete(request):
    form = PasswordConfirmForm(request.POST, prefix="delete")
    if form.is_valid() and form.run(lambda: account_deletion.account_delete(
            user=request.creator, password=form.cleaned_data["password"])) is not None:
        logout(request)
        return render(request, "accounts/deleted.html")
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors) or "Not deleted.")
    return redirect("settings")


@creator_required
@require_POST
@page_errors(redirect="settings")
def account_export(request):
    export_request.data_export_request(user=request.creator)
    messages.success(request, f"Your export is being built: a download link is on its way to {request.creator.email}.")
    return redirect("settings")


@creator_required
@require_GET
def account_export_download(request, token):
    found = data_export_download(user=request.creator, token=token)
    if found is None:
        raise Http404("This export does not exist or its link expired.")
    response = HttpResponse(bytes(found.archive), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="creatorcompass-export-{found.pk}.zip"'
    return response
