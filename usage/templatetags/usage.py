"""{% load usage %}{% usage_meters %}: the signed-in creator's usage meters, and
{% plan_allowances plan %}: what a plan allows, for pages whose view cannot import usage
(billing sits below usage: DESIGN.md §2)."""

from django import template

from usage.catalog import FEATURES, LIFETIME
from usage.selectors import usage_for

register = template.Library()


@register.inclusion_tag("usage/_meters.html", takes_context=True)
def usage_meters(context, title="Your plan usage"):
    user = context["request"].user
    usage = usage_for(user) if hasattr(user, "profile") else None
    return {"usage": usage, "title": title}


@register.inclusion_tag("usage/_plan_allowances.html")
def plan_allowances(plan):
    """The plan's roadmap days and each metered feature's limit on it, read from the plan row and
    usage.catalog (the plan cards restate no number)."""
    return {"roadmap_days": plan.roadmap_days, "allowances": [_allowance(spec, spec.limit_for(plan.code)) for spec in FEATURES.values()]}


def _allowance(spec, limit):
    noun = spec.label.lower()  # plural: "platforms", "exports", "ideas"
    if limit is None:
        return f"Unlimited {noun}"
    per = "" if spec.period == LIFETIME else f" a {spec.period}"
    return f"{limit} {noun[:-1] if limit == 1 else noun}{per}"
