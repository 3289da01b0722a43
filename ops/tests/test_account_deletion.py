"""Account deletion (GDPR art. 17): Stripe first, then every row; only the tombstone's payments stay."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AccountTombstone, Enrollment, User
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory
from billing.models import Entitlement, Payment
from billing.services import checkout
from billing.tests import stripe_objects as so
from billing.tests.conftest import deliver, webhook_endpoint  # noqa: F401 (fixtures)
from core.models import SentEmail
from core.testing.jobs import run_queued_jobs
from milestones.models import MilestoneAchievement
from milestones.services import achievement_share
from ops.account_deletion import account_delete, account_erase, deleted_creator_references
from ops.audit import audit
from tasks.models import TaskCompletion
from tasks.services.completion import task_complete
from tasks.services.ideas import idea_create
from usage.models import UsageCounter

ADDRESS = "gone@example.com"


@pytest.fixture
def paying(roadmap, emulator, deliver):  # noqa: F811
    """A creator with every kind of row: completions, an idea, a shared achievement, counters,
    a subscription and a payment, a token, a browser session, a lockout record, sent and queued
    email."""
    user = CreatorFactory(email=ADDRESS, display_name="Gone", platform="youtube")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    run_queued_jobs()  # the verification email: a SentEmail row with the address
    customer_id = checkout.customer_for(user).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    assert deliver(so.event("customer.subscription.created", sub)).status_code == 200
    assert deliver(so.event("invoice.paid", so.invoice(so.new_id("in"), customer_id, sub["id"]))).status_code == 200
    task_complete(user=user, task_id=roadmap[1].pk, quality=4, notes="my first video")
    idea_create(user=user, title="A video idea")
    achievement = MilestoneAchievement.objects.filter(user=user).first()
    share_token = achievement_share(user=user, milestone_id=achievement.milestone_id).share_token
    Token.objects.create(user=user)
    AccessAttempt.objects.create(username=ADDRESS, ip_address="127.0.0.1", user_agent="x", failures_since_start=1,
                                 get_data="", post_data="", http_accept="", path_info="/login/")
    browser = Client()
    browser.force_login(user)
    return {"user": user, "customer_id": customer_id, "subscription_id": sub["id"], "share_token": share_token,
            "browser": browser}


def _rows_of(user_id):
    return {
        "completions": TaskCompletion.objects.filter(user_id=user_id).count(),
        "achievements": MilestoneAchievement.objects.filter(user_id=user_id).count(),
        "counters": UsageCounter.objects.filter(user_id=user_id).count(),
        "entitlements": Entitlement.objects.filter(user_id=user_id).count(),
        "users": User.objects.filter(pk=user_id).count(),
    }


@pytest.mark.django_db
def test_deleting_in_the_browser_closes_stripe_and_removes_every_row_but_the_payments(paying, emulator):
    user = paying["user"]
    assert all(_rows_of(user.pk).values()) and Payment.objects.filter(user=user).count() == 1
    sessions_before = Session.objects.count()

    response = paying["browser"].post("/settings/delete/", {"delete-password": DEFAULT_PASSWORD})

    assert response.status_code == 200 and "Your account is deleted" in response.content.decode()
    assert emulator.get(paying["subscription_id"])["deleted"] and emulator.get(paying["customer_id"])["deleted"]
    assert set(_rows_of(user.pk).values()) == {0}
    assert deleted_creator_references() == {}
    tombstone = AccountTombstone.objects.get(former_user_id=user.pk)
    payment = Payment.objects.get()
    assert (payment.user_id, payment.tombstone_id) == (None, tombstone.pk)
    assert not Token.objects.filter(user_id=user.pk).exists() and not AccessAttempt.objects.exists()
    assert Session.objects.count() < sessions_before
    assert Client().get(f"/m/{paying['share_token']}").status_code == 404
    login = Client().post("/login/", {"username": ADDRESS, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.wsgi_request.session

    [job] = run_queued_jobs()  # only the confirmation: the creator's own queued jobs are gone
    assert job.task_path == "accounts.jobs.send_account_deleted_email" and job.return_value == "sent"
    assert mail.outbox[-1].to == [ADDRESS] and "account is deleted" in mail.outbox[-1].subject
    assert not SentEmail.objects.filter(to__iexact=ADDRESS).exists()


@pytest.mark.django_db
def test_a_wrong_password_deletes_nothing_and_calls_no_stripe(paying, emulator):
    user = paying["user"]
    before = _rows_of(user.pk)
    response = paying["browser"].post("/settings/delete/", {"delete-password": "not-mine"})
    assert response.status_code == 302
    assert _rows_of(user.pk) == before
    assert not emulator.calls("DELETE", "/v1/")


@pytest.mark.django_db
def test_a_webhook_for_a_deleted_creator_is_answered_200_and_changes_nothing(paying, deliver):  # noqa: F811
    account_delete(user=paying["user"], password=DEFAULT_PASSWORD)
    payments = list(Payment.objects.values_list("pk", "user_id", "tombstone_id"))
    late = so.subscription(paying["subscription_id"], paying["customer_id"], status="canceled")

    assert deliver(so.event("customer.subscription.deleted", late)).status_code == 200
    assert deliver(so.event("customer.subscription.updated", so.subscription(
        paying["subscription_id"], paying["customer_id"]))).status_code == 200

    assert not Entitlement.objects.exists()
    assert list(Payment.objects.values_list("pk", "user_id", "tombstone_id")) == payments
    assert deleted_creator_references() == {}


@pytest.mark.django_db
def test_the_api_deletes_with_the_password_and_a_repeat_is_404(paying):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=paying['user']).key}")
    assert api.post("/api/v1/me/delete", {"password": "wrong"}, format="json").status_code == 400
    assert api.post("/api/v1/me/delete", {"password": DEFAULT_PASSWORD}, format="json").status_code == 204
    assert api.get("/api/v1/me").status_code == 401
    from core.errors import NotFound

    with pytest.raises(NotFound):
        account_erase(user_id=paying["user"].pk)


@pytest.mark.django_db
def test_the_audit_names_a_table_that_still_references_a_deleted_creator(catalogue):
    survivor = CreatorFactory()
    AccountTombstone.objects.create(former_user_id=survivor.pk, deleted_at=timezone.now())
    found = deleted_creator_references()
    assert found["accounts.User"] == 1 and found["accounts.CreatorProfile.user"] == 1
    assert found["django_tasks_db.DBTaskResult"] == DBTaskResult.objects.filter(
        args_kwargs__args__0=survivor.pk).count() >= 1
    assert "deleted_creator_has_no_rows" in {breach.check for breach in audit()}


@pytest.mark.django_db
def test_the_audit_is_clean_after_a_deletion_with_payments_kept(paying):
    account_delete(user=paying["user"], password=DEFAULT_PASSWORD)
    assert {breach.check for breach in audit()} & {"deleted_creator_has_no_rows", "payment_has_user"} == set()
