"""{% load usage %}{% usage_meters %}: the signed-in creator's usage meters, for pages whose
view cannot import usage (billing sits below usage: DESIGN.md §2)."""

from django import template

from usage.selectors import usage_for

register = template.Library()


@register.inclusion_tag("usage/_meters.html", takes_context=True)
def usage_meters(context, title="Your plan usage"):
    user = context["request"].user
    usage = usage_for(user) if hasattr(user, "profile") else None
    return {"usage": usage, "title": title}
