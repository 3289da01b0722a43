import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import CreatorProfile, CreatorStats, Enrollment, User
from accounts.tests.factories import signup_payload


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("emails", [("race@example.com", "race@example.com"), ("race@example.com", "RACE@Example.com")])
def test_two_signups_racing_for_one_email_make_one_account(emails):
    barrier = threading.Barrier(len(emails))
    statuses = []

    def sign_up(email):
        try:
            barrier.wait(timeout=10)
            response = APIClient().post("/api/v1/auth/signup", signup_payload(email=email), format="json")
            statuses.append((response.status_code, response.json().get("error", {}).get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses, key=lambda s: s[0]) == [(201, None), (409, "email_taken")]
    assert User.objects.filter(email__iexact="race@example.com").count() == 1
    assert CreatorProfile.objects.count() == CreatorStats.objects.count() == Enrollment.objects.count() == 1
