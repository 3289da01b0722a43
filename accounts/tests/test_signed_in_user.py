"""A page signed in with the session reads the creator once: the session's user comes with the
profile and the stats (accounts.backends.EmailBackend.get_user), which the time zone, the creator
pages (accounts.decorators.creator_required) and the views then use."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import CreatorFactory


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/dashboard/", "/roadmap/", "/ideas/", "/pricing/"])
def test_a_signed_in_page_reads_the_creator_once_with_profile_and_stats(roadmap, path):
    """Planted defects: get_user as Django's (the user alone, the profile read after), the creator
    pages reading the creator again, the time zone read with a query of its own: each fails."""
    client = Client()
    client.force_login(CreatorFactory(platform="youtube", timezone="America/Los_Angeles"))

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200

    reads = [query["sql"] for query in captured.captured_queries]
    [user_read] = [sql for sql in reads if 'FROM "accounts_user"' in sql]
    assert '"accounts_creatorprofile"' in user_read and '"accounts_creatorstats"' in user_read
    assert not [sql for sql in reads if 'FROM "accounts_creatorprofile"' in sql or 'FROM "accounts_creatorstats"' in sql]


@pytest.mark.django_db
def test_a_deactivated_creator_is_signed_out_on_the_next_request():
    """Planted defect: get_user without Django's is_active check: the page answers 200."""
    user = CreatorFactory(platform="youtube")
    client = Client()
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = client.get("/dashboard/")

    assert response.status_code == 302 and response.url.startswith("/login/")
