"""The admin's Transactions page (staff only): what the durable services did in the last hour
or day, from Prometheus or the app's own rollup (core.ops_figures says which and why)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from core import ops_figures, svg_charts


def _charts(figures):
    window = figures["window"]
    times = [t for t, _ in figures["rollbacks"]]
    first, last = (f"{times[0]:%H:%M} UTC", f"{times[-1]:%H:%M} UTC") if times else ("", "")
    p95 = [v for _, v in figures["duration"][0.95] if v is not None]
    rollbacks = sum(v for _, v in figures["rollbacks"])
    webhooks = sorted(figures["webhooks"].items())
    return {
        "duration": svg_charts.line_chart(
            title=f"Transaction duration over the last {window}, all services",
            summary=(f"p50 and p95 in milliseconds; the highest p95 was {max(p95):.1f} ms." if p95
                     else "No transaction in this window."),
            series={"p50": figures["duration"][0.5], "p95": figures["duration"][0.95]},
            unit=" ms", first_label=first, last_label=last,
        ),
        "rollbacks": svg_charts.bar_chart(
            title=f"Rollbacks over the last {window}, all services and causes",
            summary=f"{rollbacks} rollbacks in all.", points=figures["rollbacks"], unit="",
            first_label=first, last_label=last,
        ),
        "webhooks": svg_charts.labelled_bars(
            title=f"Stripe webhook deliveries over the last {window} by outcome",
            summary=", ".join(f"{outcome}: {count}" for outcome, count in webhooks) or "No delivery in this window.",
            items=webhooks,
        ) if webhooks else None,
    }


class WindowForm(forms.Form):
    window = forms.ChoiceField(choices=[(name, name) for name in ops_figures.WINDOWS], required=False)


@staff_member_required
def transactions(request):
    form = WindowForm(request.GET)
    window = (form.is_valid() and form.cleaned_data["window"]) or "hour"  # anything else: the last hour
    figures = ops_figures.transaction_figures(window)
    context = {
        **admin.site.each_context(request),
        "title": "Transactions",
        "figures": figures,
        "charts": _charts(figures),
        "windows": list(ops_figures.WINDOWS),
    }
    return render(request, "admin/transactions.html", context)
