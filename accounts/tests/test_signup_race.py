import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import CreatorProfile, CreatorStats, Enrollment, User
from accounts.tests.factories import signup_payload


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("emails", [("race@example.com", "race@example.com"), ("race@example.com", "RACE@Example.com"),
                                    ("sara@example.com", "ſara@example.com"),
                                    ("rice@example.com", "rıce@example.com")])
def test_two_signups_racing_for_one_email_make_one_account(emails):
    barrier = threading.Barrier(len(emails))
    statuses = []

    def sign_up(email):
        try:
            barrier.wait(timeout=10)
            response = APIClient().post("/api/v1/auth/signup", signup_payload(email=email), format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Both answered alike (no enumeration); the owner of the winner was told of the loser.
    assert statuses == [202, 202]
    assert User.objects.count() == 1
    assert CreatorProfile.objects.count() == CreatorStats.objects.count() == Enrollment.objects.count() == 1
