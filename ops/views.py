"""Ops pages outside the model admin: the integrity audit, runnable from the browser."""

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render

from ops import audit, repair


@staff_member_required
def integrity(request):
    if request.method == "POST":
        repaired = repair.repair(audit.audit())
        messages.success(request, f"Repaired {len(repaired)} creator(s).")
        return redirect("ops_integrity")
    breaches = audit.audit()
    context = {
        **admin.site.each_context(request),
        "title": "Data integrity",
        "breaches": breaches,
        "checks": [check.__name__ for check in audit.CHECKS],
        "repairable": any(b.check in repair.REPAIRABLE for b in breaches),
    }
    return render(request, "admin/integrity.html", context)
