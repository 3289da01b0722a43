import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.models import CreatorProfile, CreatorStats, Enrollment, User
from accounts.tests.factories import CreatorFactory, signup_payload
from core.errors import EmailTaken, InvalidInput
from core.faults import InjectedFault, count_writes, fail_after_write, table_of

SIGNUP_TABLES = [User, CreatorProfile, CreatorStats, Enrollment, Token, DBTaskResult]


def _row_counts():
    return {model.__name__: model.objects.count() for model in SIGNUP_TABLES}


@pytest.mark.django_db
def test_signup_writes_user_profile_stats_and_first_enrollment(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.user_signup(**signup_payload(email="Maya.Lee@Example.COM"))

    user = User.objects.get(pk=result.user.pk)
    assert user.email == "Maya.Lee@example.com"  # domain normalised, local part kept
    assert user.check_password(signup_payload()["password"])
    profile = CreatorProfile.objects.get(user=user)
    assert (profile.platform, profile.niche, profile.timezone, profile.display_name) == (
        "tiktok", "comedy", "America/New_York", "New Creator"
    )
    assert CreatorStats.objects.filter(user=user, points=0, current_streak=0).exists()
    enrollment = Enrollment.objects.get(user=user)
    assert enrollment.platform == "tiktok" and (enrollment.current_phase, enrollment.current_week) == (1, 1)
    assert enrollment.started_on == datetime.datetime.now(zoneinfo.ZoneInfo("America/New_York")).date()
    assert callbacks == []  # the email job is a row of the signup's own transaction (the outbox)
    job = DBTaskResult.objects.get()
    assert job.task_path == "accounts.jobs.send_verification_email"
    assert job.args_kwargs["args"][0] == user.pk


@pytest.mark.django_db
def test_signup_query_count_is_exact():
    with CaptureQueriesContext(connection) as queries:
        services.user_signup(**signup_payload(), issue_api_token=True)

    statements = [" ".join(q["sql"].split()[:3]).replace('"', "") for q in queries.captured_queries]
    # The transaction (a savepoint inside the test's wrapper, BEGIN/COMMIT in production):
    # one INSERT per row, no reads, the email job among them (the outbox).
    assert statements == [
        statements[0],  # SAVEPOINT <name>
        "INSERT INTO accounts_user",
        "INSERT INTO accounts_creatorprofile",
        "INSERT INTO accounts_creatorstats",
        "INSERT INTO accounts_enrollment",
        "INSERT INTO authtoken_token",
        "INSERT INTO django_tasks_database_dbtaskresult",
        statements[7],  # RELEASE SAVEPOINT
    ]
    assert statements[0].startswith("SAVEPOINT") and statements[7].startswith("RELEASE SAVEPOINT")


@pytest.mark.django_db
def test_display_name_defaults_to_the_email_name():
    user = services.user_signup(**signup_payload(display_name="", email="sam@example.com")).user
    assert user.profile.display_name == "sam"


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@example.com", "Taken@EXAMPLE.com"])
def test_the_same_email_in_any_letter_case_is_taken(email):
    CreatorFactory(email="taken@example.com")
    before = _row_counts()

    with pytest.raises(EmailTaken):
        services.user_signup(**signup_payload(email=email))

    assert _row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "not-an-email"),
        ("email", ""),
        ("password", "short"),
        ("password", "password123"),
        ("password", "12345678901"),
        ("platform", "vine"),
        ("niche", "comedy-on-youtube"),
        ("timezone", "Mars/Olympus_Mons"),
        ("display_name", "x" * 61),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(field, value):
    before = _row_counts()
    payload = signup_payload(**{"platform": "youtube", "niche": "tech", field: value})

    with pytest.raises(InvalidInput) as raised:
        services.user_signup(**payload)

    assert field in raised.value.fields
    assert _row_counts() == before  # no email job either


@pytest.mark.django_db
def test_signup_has_one_write_per_row():
    with count_writes() as writes:
        services.user_signup(**signup_payload(), issue_api_token=True)
    tables = [table_of(sql) for sql in writes]
    assert tables == [
        "accounts_user", "accounts_creatorprofile", "accounts_creatorstats",
        "accounts_enrollment", "authtoken_token", "django_tasks_database_dbtaskresult",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("failing_write", [1, 2, 3, 4, 5, 6])
def test_a_failure_after_any_write_leaves_nothing_and_queues_no_email(failing_write):
    # Write 6 is the email job itself: a fault after the enqueue leaves no job behind.
    before = _row_counts()

    with pytest.raises(InjectedFault):
        with fail_after_write(failing_write):
            services.user_signup(**signup_payload(), issue_api_token=True)

    assert _row_counts() == before
