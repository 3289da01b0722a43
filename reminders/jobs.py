"""The reminder email job (run by `manage.py db_worker`). It decides again at send time (a task
done since it was queued, a preference turned off) and sends through `deliver_once` under a key
per (creator, kind, local date), so a job run twice, or a worker killed after sending, sends once."""

import datetime

from django.conf import settings
from django.urls import reverse

from accounts.catalog import EmailKind
from accounts.selectors import email_wanted
from core.email import deliver_once, email_job, render_email


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


def reminder_key(*, user_id, kind, local_date):
    return f"reminder:{kind}:{user_id}:{local_date}"


@email_job
def send_reminder(user_id, kind, local_date):
    from reminders.selectors import reminder_to_send
    from reminders.tokens import stop_token_make

    if not email_wanted(user_id=user_id, kind=EmailKind.REMINDERS):
        return "skipped: reminder emails turned off in the settings (or by their unsubscribe link)"
    reminder, why = reminder_to_send(user_id=user_id, kind=kind, local_date=datetime.date.fromisoformat(local_date))
    if reminder is None:
        return f"skipped: {why}"
    stop_url = _absolute(reverse("reminder_stop", args=[stop_token_make(user_id=user_id, kind=kind)]))
    context = {
        "user": reminder.user,
        "roadmap_url": _absolute(reverse("roadmap")),
        "settings_url": _absolute(reverse("reminder_settings")),
        "stop_url": stop_url,
        **reminder.context,
    }
    message = render_email(reminder.template, context, to=reminder.user.email)
    # RFC 8058 one-click unsubscribe: the provider POSTs List-Unsubscribe=One-Click to the URL.
    message.extra_headers.update({"List-Unsubscribe": f"<{stop_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    return deliver_once(key=reminder_key(user_id=user_id, kind=kind, local_date=local_date), message=message)
