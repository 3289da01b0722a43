"""API token authentication, token lifetime and the login lockout's (django-axes) hooks."""

import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.emails import email_skeleton
from accounts.models import CreatorProfile, CreatorStats, User
from core import db_router
from core.rawsql import Select, Table


def token_expired(token):
    """Older than API_TOKEN_MAX_AGE seconds (0: tokens do not expire)."""
    max_age = settings.API_TOKEN_MAX_AGE
    return bool(max_age) and token.created < timezone.now() - datetime.timedelta(seconds=max_age)


# The token with its user, the profile and (optionally) the stats in one statement. Every API
# request makes it, so it is hand-written SQL (core.rawsql): the ORM's select_related query cost
# 0.5 ms of Python to build against 0.1 ms to run. The profile and the stats are LEFT JOINs, as
# select_related makes them: a staff account without a creator profile still authenticates
# (IsCreator then refuses it).
_FIELDS = {model: [field.name for field in model._meta.concrete_fields]
           for model in (Token, User, CreatorProfile, CreatorStats)}


def _token_select(with_stats):
    def build(alias):
        token, user, profile = Table(Token, alias), Table(User, alias), Table(CreatorProfile, alias)
        tables = [token, user, profile]
        user_id = user.column(User._meta.pk.name)
        joins = (f" INNER JOIN {user.name} ON {user_id} = {token.column('user')}"
                 f" LEFT OUTER JOIN {profile.name} ON {profile.column('user')} = {user_id}")
        if with_stats:
            stats = Table(CreatorStats, alias)
            tables.append(stats)
            joins += f" LEFT OUTER JOIN {stats.name} ON {stats.column('user')} = {user_id}"
        fields = [(table, name) for table in tables for name in _FIELDS[table.meta.model]]
        columns = ", ".join(table.column(name) for table, name in fields)
        return f"SELECT {columns} FROM {token.name}{joins} WHERE {token.column('key')} = %s", fields

    return build


_TOKEN_WITH_STATS = Select(Token, _token_select(with_stats=True))
_TOKEN_WITHOUT_STATS = Select(Token, _token_select(with_stats=False))


def _related_set(instance, field, related):
    """Cache a one-to-one as select_related does: `field` (on the related model, pointing at
    `instance`) answers `instance.<reverse name>` with `related` (None: it does not exist, so
    reading it raises without a query) and `related.<field>` with `instance`."""
    field.remote_field.set_cached_value(instance, related)
    if related is not None:
        field.set_cached_value(related, instance)


def token_read(key, *, with_stats, alias):
    """The token of `key` on database `alias` with its user, the user's profile and, if
    `with_stats`, their stats, as model instances whose relations are cached the way
    select_related caches them (token.user, user.auth_token, user.profile, profile.user,
    user.stats, stats.user): reading them makes no query. None if there is no such token."""
    rows = (_TOKEN_WITH_STATS if with_stats else _TOKEN_WITHOUT_STATS).rows([key], alias=alias)
    if not rows:
        return None
    values, instances = rows[0], []
    for model in (Token, User, CreatorProfile, CreatorStats)[:4 if with_stats else 3]:
        count = len(_FIELDS[model])
        part, values = values[:count], values[count:]
        pk = part[_FIELDS[model].index(model._meta.pk.name)]
        instances.append(None if pk is None else model.from_db(alias, _FIELDS[model], part))
    token, user, profile, *stats = instances
    _related_set(user, Token._meta.get_field("user"), token)
    _related_set(user, CreatorProfile._meta.get_field("user"), profile)
    if with_stats:
        _related_set(user, CreatorStats._meta.get_field("user"), stats[0])
    return token


class CreatorTokenAuthentication(TokenAuthentication):
    """Token auth that loads the creator's profile and stats with the user, in the one query
    every API request makes anyway (the views and the creator permission need them). A view
    that locks and re-reads the stats itself (completing a task) sets `auth_loads_stats = False`:
    the stats it would never use cost a quarter of the auth query's CPU. A token past
    API_TOKEN_MAX_AGE is deleted and refused."""

    model = Token
    loads_stats = True

    def authenticate(self, request):
        view = (request.parser_context or {}).get("view")
        if not getattr(view, "auth_loads_stats", True):
            self.loads_stats = False  # this instance serves this one request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        alias = router.db_for_read(Token)
        token = token_read(key, with_stats=self.loads_stats, alias=alias)
        if token is None and alias != DEFAULT_DB_ALIAS:
            # A token made a moment ago (signup, login) may not be on a lagging replica yet: ask
            # the primary, and if it is there, read this creator's request from the primary.
            token = token_read(key, with_stats=self.loads_stats, alias=DEFAULT_DB_ALIAS)
            if token is not None:
                db_router.pin_to_primary()
        if token is None:
            return super().authenticate_credentials(key)  # raises the usual AuthenticationFailed
        if not token.user.is_active:
            return super().authenticate_credentials(key)  # refuses with DRF's message
        if token_expired(token):
            Token.objects.filter(pk=token.pk).delete()
            raise exceptions.AuthenticationFailed("This token has expired: ask POST /api/v1/auth/token for a new one.")
        return token.user, token


def axes_username(request, credentials):
    """The account a login attempt is for, as the lockout counts it: the skeleton of the address
    (accounts.emails), from the form's `username` field or the token API's `email`. Logins find
    the account by its canonical address, and every spelling and look-alike of that address has
    the account's skeleton (a unique column), so they all count against the one account."""
    credentials = credentials or {}
    name = credentials.get("username") or credentials.get("email")
    if name is None:
        data = getattr(request, "POST", {}) or {}
        name = data.get("username") or data.get("email")
    return email_skeleton(name) if isinstance(name, str) and name.strip() else None


def lockout_response(request, original_response, credentials):
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; the API's envelope under /api/."""
    from core.throttle import throttled_response

    wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return throttled_response(request, wait, message="Too many failed logins for this account from your address.",
                              template="registration/locked_out.html")
