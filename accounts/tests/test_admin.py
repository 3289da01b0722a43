import pytest

from accounts.tests.factories import CreatorFactory


@pytest.mark.django_db
def test_ops_search_creators_by_email(ops):
    CreatorFactory(email="findme@example.com", display_name="Find Me")
    CreatorFactory(email="other@example.com")

    html = ops.get("/admin/accounts/user/", {"q": "FINDME"}).content.decode()

    assert "findme@example.com" in html and "other@example.com" not in html


@pytest.mark.django_db
def test_user_page_shows_profile_and_read_only_stats_inline(ops):
    user = CreatorFactory(email="inline@example.com")

    html = ops.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert 'name="profile-0-niche"' in html  # the profile is editable inline
    assert "Tasks completed" in html and 'name="stats-0-points"' not in html  # stats are read-only
    assert 'name="enrollments-0-platform"' not in html


@pytest.mark.django_db
def test_ops_cannot_add_a_user_without_signup(ops):
    assert ops.get("/admin/accounts/user/add/").status_code == 403


@pytest.mark.django_db
def test_a_failed_email_job_is_visible_to_ops_with_its_error(ops, settings):
    from core.testing.jobs import run_queued_jobs

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    CreatorFactory(email="unlucky@example.com")
    [job] = run_queued_jobs()

    listing = ops.get("/admin/django_tasks_database/dbtaskresult/", {"status__exact": "FAILED"}).content.decode()
    detail = ops.get(f"/admin/django_tasks_database/dbtaskresult/{job.pk}/change/").content.decode()

    assert "send_verification_email" in listing
    assert "ConnectionRefusedError" in detail
