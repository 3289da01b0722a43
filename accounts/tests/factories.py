import factory

from accounts import services
from accounts.catalog import Platform

DEFAULT_PASSWORD = "a-long-creator-passphrase"


class CreatorFactory(factory.Factory):
    """A creator made the way the product makes one: through the signup service, so every
    row signup writes (user, profile, stats, enrollment) exists. Returns the User."""

    class Meta:
        model = dict

    email = factory.Sequence(lambda n: f"creator{n}@example.com")
    password = DEFAULT_PASSWORD
    platform = Platform.YOUTUBE
    niche = "tech"
    timezone = "UTC"
    display_name = factory.Sequence(lambda n: f"Creator {n}")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.user_signup(**kwargs).user

    _build = _create


def signup_payload(**overrides):
    payload = {
        "email": "new.creator@example.com",
        "password": DEFAULT_PASSWORD,
        "platform": "tiktok",
        "niche": "comedy",
        "timezone": "America/New_York",
        "display_name": "New Creator",
    }
    payload.update(overrides)
    return payload
