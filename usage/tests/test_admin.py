import datetime

import pytest

from usage.models import Feature
from usage.tests.factories import UsageCounterFactory, creator_on


@pytest.mark.django_db
def test_ops_find_a_creators_counters_by_email(ops, catalogue):
    mine = UsageCounterFactory(user=creator_on("free", email="metered@example.com"), feature=Feature.EXPORTS, used=3)
    UsageCounterFactory(user=creator_on("free", email="someone@example.com"), used=1)

    html = ops.get("/admin/usage/usagecounter/", {"q": "metered"}).content.decode()

    assert "metered@example.com" in html and "someone@example.com" not in html
    assert f'/admin/usage/usagecounter/{mine.pk}/change/' in html and "1 usage counter" in html


@pytest.mark.django_db
def test_counters_are_read_only_in_the_admin(ops, catalogue):
    counter = UsageCounterFactory(user=creator_on("free"), used=2, period_start=datetime.date(2026, 1, 15))

    page = ops.get(f"/admin/usage/usagecounter/{counter.pk}/change/")
    post = ops.post(f"/admin/usage/usagecounter/{counter.pk}/change/", {"used": "0"})

    assert page.status_code == 200 and 'name="used"' not in page.content.decode()
    assert post.status_code == 403
    assert ops.get("/admin/usage/usagecounter/add/").status_code == 403
    assert ops.get(f"/admin/usage/usagecounter/{counter.pk}/delete/").status_code == 403
    counter.refresh_from_db()
    assert counter.used == 2
