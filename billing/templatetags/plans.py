"""{% load plans %}{% plan_cards %}: the plan catalogue as cards, for pages outside billing
(the landing page lives in core, which sits below billing: DESIGN.md §2)."""

from django import template

from billing.selectors import plans_all

register = template.Library()


@register.inclusion_tag("billing/_plan_cards.html")
def plan_cards():
    return {"plans": plans_all(), "show_buttons": False, "current": None, "heading_level": 3}
