"""Ops pages outside the model admin: the integrity audit, runnable from the browser."""

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render

from core.page_errors import Render, page_errors
from ops import audit, repair

# The audit's whole budget on a page, inside gunicorn's 30 s worker timeout. At 1,000,000
# creators the audit takes about 80 s: the page says so and names the command instead.
PAGE_AUDIT_SECONDS = 20


def _too_long_context(request, error):
    return {**admin.site.each_context(request), "title": "Data integrity"}


@staff_member_required
@page_errors(page=Render("admin/integrity_too_long.html", status=503, context=_too_long_context))
def integrity(request):
    if request.method == "POST":
        repaired = repair.repair(audit.audit(within=PAGE_AUDIT_SECONDS))
        messages.success(request, f"Repaired {len(repaired)} creator(s).")
        return redirect("ops_integrity")
    breaches = audit.audit(within=PAGE_AUDIT_SECONDS)
    context = {
        **admin.site.each_context(request),
        "title": "Data integrity",
        "breaches": [(breach, repair.for_a_person(breach)) for breach in breaches],
        "checks": [check.__name__ for check in audit.CHECKS],
        "repairable": any(b.check in repair.REPAIRABLE for b in breaches),
    }
    return render(request, "admin/integrity.html", context)
