"""The API token check (accounts.authentication): one hand-written statement (core.rawsql) reads
the token, its user, the profile and the stats into model instances equal to what the ORM's
select_related gives, relations cached, and every refusal the ORM version made still happens.
The replica fallback is proven against a real replica in core/tests/test_streaming_replica.py."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import CreatorTokenAuthentication, token_read
from accounts.models import CreatorProfile, CreatorStats, User
from accounts.tests.factories import CreatorFactory
from core.testing.api import api_client_for

MODELS = (Token, User, CreatorProfile, CreatorStats)


def _values(instance):
    """Every concrete field's value with its type, and where the instance came from."""
    fields = [(field.attname, getattr(instance, field.attname)) for field in instance._meta.concrete_fields]
    return [(name, value, type(value)) for name, value in fields], instance._state.db, instance._state.adding


def _graph(token, with_stats=True):
    """The four instances, each with its values and the relations cached on it (by name)."""
    user = token.user
    instances = [token, user, user.profile] + ([user.stats] if with_stats else [])
    return [(_values(instance), sorted(instance._state.fields_cache)) for instance in instances]


def _orm_token(key, related=("user__profile", "user__stats")):
    return Token.objects.select_related(*related).get(key=key)


@pytest.fixture
def kai(catalogue):
    """A creator whose every nullable value is set, so each converter has something to convert."""
    creator = CreatorFactory(email="kai@example.com", timezone="Asia/Tokyo")
    User.objects.filter(pk=creator.pk).update(last_login=timezone.now(), email_verified_at=timezone.now())
    CreatorStats.objects.filter(user=creator).update(
        points=42, tasks_completed=3, current_streak=2, longest_streak=5, last_active_on=datetime.date(2026, 11, 27)
    )
    CreatorFactory()  # another creator's rows must not be the ones read
    return creator


def _key(user):
    return Token.objects.get_or_create(user=user)[0].key


@pytest.mark.django_db
def test_the_hand_written_read_gives_the_objects_the_orm_gives(kai):
    key = _key(kai)
    read = token_read(key, with_stats=True, alias="default")
    orm = _orm_token(key)

    assert _graph(read) == _graph(orm)
    assert read.user.pk == kai.pk and read.user.stats.points == 42
    for moment in (read.created, read.user.date_joined, read.user.last_login, read.user.email_verified_at):
        assert isinstance(moment, datetime.datetime) and moment.tzinfo is not None
    assert type(read.user.stats.last_active_on) is datetime.date and read.user.is_active is True


@pytest.mark.django_db
def test_without_stats_the_read_leaves_them_out_as_the_orm_does(kai, django_assert_num_queries):
    key = _key(kai)
    read = token_read(key, with_stats=False, alias="default")
    orm = _orm_token(key, related=("user__profile",))

    assert _graph(read, with_stats=False) == _graph(orm, with_stats=False)
    assert "stats" not in read.user._state.fields_cache
    with django_assert_num_queries(1):  # not loaded: reading them is a query, as with the ORM
        assert read.user.stats.points == 42


@pytest.mark.django_db
def test_the_related_objects_are_read_without_another_query(kai, django_assert_num_queries):
    key = _key(kai)
    with django_assert_num_queries(1):
        token = token_read(key, with_stats=True, alias="default")
        user = token.user
        assert user.profile.user is user and user.stats.user is user and user.auth_token is token
        assert user.profile.timezone == "Asia/Tokyo" and user.stats.current_streak == 2


@pytest.mark.django_db
def test_a_staff_account_without_profile_or_stats_authenticates_and_is_no_creator(catalogue, django_assert_num_queries):
    """The profile and the stats are LEFT JOINs (as select_related makes them): the account is
    read, its missing profile and stats known without a query, and IsCreator refuses it."""
    admin = User.objects.create_superuser(email="admin@example.com", password="an-admin-passphrase")
    key = _key(admin)

    with django_assert_num_queries(1):
        user, token = CreatorTokenAuthentication().authenticate_credentials(key)
        assert not hasattr(user, "profile") and not hasattr(user, "stats")
    assert user.pk == admin.pk and token.key == key
    orm = _orm_token(key)
    assert [_values(instance) for instance in (token, user)] == [_values(instance) for instance in (orm, orm.user)]
    assert sorted(user._state.fields_cache) == sorted(orm.user._state.fields_cache)

    response = api_client_for(admin).get("/api/v1/me")
    assert response.status_code == 403 and response.json()["error"]["message"] == "This needs a creator account."


@pytest.mark.django_db
def test_an_unknown_token_is_refused_with_drfs_message(catalogue):
    response = APIClient(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567").get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "authentication_failed", "message": "Invalid token."}


@pytest.mark.django_db
def test_the_token_of_an_inactive_user_is_refused(kai):
    api = api_client_for(kai)
    User.objects.filter(pk=kai.pk).update(is_active=False)

    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "authentication_failed", "message": "User inactive or deleted."}


@pytest.mark.django_db
def test_an_expired_token_is_deleted_when_it_is_refused(kai, settings):
    settings.API_TOKEN_MAX_AGE = 3600
    key = _key(kai)
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(seconds=3601))

    with pytest.raises(exceptions.AuthenticationFailed) as refused:
        CreatorTokenAuthentication().authenticate_credentials(key)
    assert str(refused.value.detail) == "This token has expired: ask POST /api/v1/auth/token for a new one."
    assert not Token.objects.filter(key=key).exists()


@pytest.mark.django_db
def test_a_token_younger_than_the_maximum_age_is_kept(kai, settings):
    settings.API_TOKEN_MAX_AGE = 3600
    key = _key(kai)
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(seconds=3500))

    user, token = CreatorTokenAuthentication().authenticate_credentials(key)
    assert user.pk == kai.pk and Token.objects.filter(key=key).exists()
