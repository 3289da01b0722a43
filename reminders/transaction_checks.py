"""How `manage.py check_transactions` exercises reminders' durable service."""

import datetime

from django.utils import timezone

from accounts import services as account_services
from accounts.transaction_checks import check_creator
from core.transaction_checks import scenario
from reminders import services
from reminders.models import ReminderSchedule


@scenario("reminders.reminders_queue_due", reaches=(
    "reminders_reminderclaim", "reminders_reminderschedule.due_at", "job:send_reminder"))
def queue_due():
    """A creator whose daily reminder is due now: claimed, queued and moved to tomorrow."""
    user = check_creator()
    account_services.profile_update(user=user, reminder_at=datetime.time(9, 0))
    now = timezone.now()
    ReminderSchedule.objects.filter(user=user).update(due_at=now - datetime.timedelta(minutes=1),
                                                      due_on=timezone.localdate(now, timezone=datetime.UTC))
    return lambda: services.reminders_queue_due(now=now, batch_size=1)
