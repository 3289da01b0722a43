"""{% load plans %}{% plan_cards %}: the plan catalogue as cards, for pages outside billing
(the landing page lives in core, which sits below billing: DESIGN.md §2)."""

import uuid

from django import template
from django.utils.html import format_html

from billing.selectors import plans_all

register = template.Library()


@register.inclusion_tag("billing/_plan_cards.html")
def plan_cards():
    return {"plans": plans_all(), "show_buttons": False, "current": None, "heading_level": 3}


@register.simple_tag
def intent_key():
    """A hidden field naming one intent of the creator (billing.services.checkout): made when the form is
    rendered, so a double click sends the same key (Stripe replays the first answer) and a new
    page (a new click after a resume) sends a new one."""
    return format_html('<input type="hidden" name="intent_key" value="{}">', uuid.uuid4().hex)
