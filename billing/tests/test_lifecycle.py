import datetime

import pytest
from django.core import mail
from django.test import Client
from djstripe.models import Event, WebhookEventTrigger

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement, Payment
from billing.services import checkout
from billing.tests import stripe_objects as so
from core.errors import PlanRequired
from core.faults import fail_on_write_to
from core.testing.jobs import run_queued_jobs
from tasks.models import TaskCompletion
from tasks.services.completion import task_complete


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory(email="journey@example.com", display_name="Jo")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=40))
    return user


@pytest.mark.django_db
def test_a_failure_in_our_handler_rolls_the_event_back_and_a_redelivery_succeeds(creator, emulator, deliver):
    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    created = so.event("customer.subscription.created", sub)
    failing_client = Client(raise_request_exception=False)

    with fail_on_write_to("billing_entitlement"):
        failed = deliver(created, client=failing_client)

    assert failed.status_code == 500
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.processed is False and "fault injected" in trigger.exception and "InjectedFault" in trigger.traceback
    assert not Event.objects.exists() and not Entitlement.objects.exists()

    retried = deliver(created)

    assert retried.status_code == 200 and Entitlement.objects.get(user=creator).plan_id == "pro"
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 1 and Event.objects.count() == 1


@pytest.mark.django_db
def test_day_31_opens_with_a_subscription_and_closes_when_it_ends_history_intact(creator, roadmap, emulator, deliver):
    with pytest.raises(PlanRequired):
        task_complete(user=creator, task_id=roadmap[31].pk)

    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    inv = emulator.put(so.invoice(so.new_id("in"), customer_id, sub["id"]))
    deliver(so.event("customer.subscription.created", sub))
    deliver(so.event("invoice.paid", inv))

    assert task_complete(user=creator, task_id=roadmap[31].pk).created

    ended = emulator.put({**sub, "status": "canceled"})
    deliver(so.event("customer.subscription.deleted", ended))

    with pytest.raises(PlanRequired):
        task_complete(user=creator, task_id=roadmap[32].pk)
    assert TaskCompletion.objects.filter(user=creator, task=roadmap[31]).exists()  # history intact
    assert Payment.objects.filter(user=creator).count() == 1
    run_queued_jobs()
    subjects = [m.subject for m in mail.outbox if m.to == ["journey@example.com"]]
    assert any(s.startswith("Your CreatorCompass receipt") for s in subjects)
    assert "Your CreatorCompass plan has ended" in subjects


@pytest.mark.django_db
def test_the_receipt_names_amount_plan_and_invoice(creator, emulator, deliver):
    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id, plan="studio"))
    inv = emulator.put(so.invoice(so.new_id("in"), customer_id, sub["id"], plan="studio", amount=2999))
    deliver(so.event("invoice.paid", inv))
    run_queued_jobs()
    run_queued_jobs()

    receipts = [m for m in mail.outbox if m.subject.startswith("Your CreatorCompass receipt")]
    assert len(receipts) == 1
    assert "29.99 USD for Creator Studio" in receipts[0].body and inv["id"] in receipts[0].body
