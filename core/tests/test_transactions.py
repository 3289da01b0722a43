import logging

import pytest
from django.db import transaction

from accounts.models import User
from core.transactions import DURABLE_SERVICES, durable_service, outcome_count


@durable_service("tests.create_user")
def _create_user(*, email, fail=False):
    User.objects.create(email=email)
    if fail:
        raise RuntimeError("boom")
    return email


@pytest.mark.django_db
def test_durable_service_commits_and_counts_the_commit():
    before = outcome_count("tests.create_user", "commit")

    _create_user(email="a@example.com")

    assert User.objects.filter(email="a@example.com").exists()
    assert outcome_count("tests.create_user", "commit") == before + 1
    assert DURABLE_SERVICES["tests.create_user"].__name__ == "_create_user"


@pytest.mark.django_db
def test_durable_service_rolls_back_everything_and_counts_the_rollback():
    before = outcome_count("tests.create_user", "rollback")

    with pytest.raises(RuntimeError):
        _create_user(email="b@example.com", fail=True)

    assert not User.objects.filter(email="b@example.com").exists()
    assert outcome_count("tests.create_user", "rollback") == before + 1


@pytest.mark.django_db
def test_durable_service_refuses_to_run_inside_another_transaction():
    with pytest.raises(RuntimeError, match="durable"):
        with transaction.atomic():
            _create_user(email="c@example.com")


@pytest.mark.django_db
def test_slow_transaction_logs_a_warning(settings, caplog):
    settings.SLOW_TRANSACTION_MS = -1

    with caplog.at_level(logging.WARNING, logger="creatorcompass.transactions"):
        _create_user(email="d@example.com")

    assert "slow transaction service=tests.create_user outcome=commit" in caplog.text


def test_a_service_name_can_be_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        durable_service("tests.create_user")(lambda: None)
