"""The plan cards state each plan's allowances from the one place each is kept: roadmap days from
the plan row, metered limits from usage.catalog. The taglines in plans.yaml restate none."""

import dataclasses
import re

import pytest
import yaml
from django.conf import settings
from django.test import Client

from billing.models import PlanCode
from usage.catalog import FEATURES
from usage.models import Feature


def _cards(html):
    return {
        name: re.findall(r"<li>([^<]+)</li>", card)
        for name, card in re.findall(r"<h2>([^<]+)</h2>(.*?)</article>", html, re.S)
    }


@pytest.mark.django_db
def test_each_plan_card_lists_its_roadmap_days_and_limits(catalogue):
    cards = _cards(Client().get("/pricing/").content.decode())

    assert cards == {
        "Creator": ["30-day roadmap", "1 platform", "3 exports a month", "5 ideas a day"],
        "Pro Creator": ["90-day roadmap", "3 platforms", "Unlimited exports", "Unlimited ideas"],
        "Creator Studio": ["90-day roadmap", "Unlimited platforms", "Unlimited exports", "Unlimited ideas"],
    }


@pytest.mark.django_db
def test_a_limit_changed_in_the_catalog_is_what_the_cards_say(catalogue, monkeypatch):
    ideas = FEATURES[Feature.IDEAS]
    monkeypatch.setitem(FEATURES, Feature.IDEAS, dataclasses.replace(ideas, limits={**ideas.limits, PlanCode.FREE: 7}))

    assert "7 ideas a day" in _cards(Client().get("/pricing/").content.decode())["Creator"]


def test_no_tagline_restates_a_limit():
    plans = yaml.safe_load((settings.BASE_DIR / "billing" / "content" / "plans.yaml").read_text())["plans"]
    nouns = {spec.label.lower() for spec in FEATURES.values()} | {"days", "platform", "export", "idea"}
    restating = [
        plan["tagline"] for plan in plans
        if re.search(r"\d|unlimited", plan["tagline"], re.I) or nouns & set(re.findall(r"[a-z]+", plan["tagline"].lower()))
    ]
    assert restating == []
