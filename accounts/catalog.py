"""Platforms a creator can grow on, the niches offered for each, and the time zones a creator
can live in."""

import functools
import zoneinfo

from django.db import models


@functools.cache
def timezones():
    """The IANA time zone names this system knows (read from disk once)."""
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name):
    """Whether `name` is an IANA time zone: the one check the service, the model and the forms use."""
    return name in timezones()


class Platform(models.TextChoices):
    YOUTUBE = "youtube", "YouTube"
    TIKTOK = "tiktok", "TikTok"
    TWITCH = "twitch", "Twitch"


NICHES = {
    Platform.YOUTUBE: {
        "education": "Education & explainers",
        "tech": "Tech & gadgets",
        "gaming": "Gaming",
        "cooking": "Cooking & food",
        "fitness": "Fitness & health",
        "finance": "Personal finance",
        "vlog": "Vlogs & lifestyle",
        "diy": "DIY & crafts",
        "music": "Music",
        "travel": "Travel",
    },
    Platform.TIKTOK: {
        "comedy": "Comedy & skits",
        "dance": "Dance & trends",
        "beauty": "Beauty & fashion",
        "food": "Food",
        "education": "Quick tips & education",
        "fitness": "Fitness",
        "pets": "Pets & animals",
        "small_business": "Small business",
        "books": "Books (BookTok)",
        "lifestyle": "Lifestyle",
    },
    Platform.TWITCH: {
        "fps": "FPS & competitive shooters",
        "rpg": "RPGs & story games",
        "strategy": "Strategy",
        "speedrunning": "Speedrunning",
        "just_chatting": "Just Chatting",
        "creative": "Art & creative",
        "music": "Music performance",
        "variety": "Variety gaming",
        "irl": "IRL",
        "coding": "Software & game development",
    },
}


def niche_choices(platform):
    """[(value, label), ...] for a platform; empty for an unknown platform."""
    return list(NICHES.get(platform, {}).items())


def is_valid_niche(platform, niche):
    return niche in NICHES.get(platform, {})


def check_platform(platform, errors):
    """Name `platform` in `errors` (a field -> messages dict) unless it is one we have roadmaps for."""
    if platform not in Platform.values:
        errors["platform"] = [f"Choose one of: {', '.join(Platform.values)}."]


class EmailKind(models.TextChoices):
    """The emails a creator may turn off, one preference each (every other email is
    transactional: verification, password, receipts, account changes). Each kind is a
    CreatorProfile boolean, named in EMAIL_KIND_FIELDS."""

    MILESTONES = "milestones", "Milestones I unlock"
    REMINDERS = "reminders", "Reminders to keep my streak"
    NEWS = "news", "Product news"


EMAIL_KIND_FIELDS = {
    EmailKind.MILESTONES: "milestone_emails",
    EmailKind.REMINDERS: "reminder_emails",
    EmailKind.NEWS: "news_emails",
}
