"""Email: queued in the transaction that causes it, rendered from templates, sent once per key.

Email never leaves inside a transaction. A service calls `email_enqueue(job, ...)` inside its
transaction: django-tasks-db stores the job as a row of the same database (a system check refuses
any other task backend or database), so the job commits with the change or rolls back with it
(a transactional outbox). There is no instant between the COMMIT and the enqueue in which a crash
could lose the email, and a rolled-back change sends nothing. The job (run by
`manage.py db_worker` after the commit, outside any transaction) renders the message and calls
`deliver_once`, which claims the key before sending so that a job run twice, or two workers,
send it once, and which consults the send ledger (core.send_ledger, outside the database) so that
a job a database restore brought back does not send again what already left.

At the provider's boundary delivery is at least once: a send can be accepted by the provider and
still raise here (a timeout reading its answer), and then the claim is released and the retry sends
again. Every attempt at one key carries the same Message-ID header (`message_id_for(key)`), so the
second copy is the same message: a receiving mailbox that keeps one message per Message-ID (Gmail
does) shows it once, and the duplicate is visible by its id in the provider's log (docs/guarantees.md).
"""

import functools
import hashlib
import logging
import urllib.parse

from anymail.message import AnymailMessage
from django.conf import settings
from django.db.models import Q
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from core import send_ledger
from core.logs import request_id_var
from core.models import SentEmail

logger = logging.getLogger("creatorcompass.email")


def email_enqueue(job, *args, **kwargs):
    """Queue the email job `job` with ids (never objects) in the caller's transaction (the outbox):
    the worker sees it once that transaction commits, and never if it rolls back. The job
    carries its origin (the request id and the durable service that enqueued it), so the job's
    log lines, and its failure, are found by the request id."""
    from core.transactions import current_service_var

    origin = {"request_id": request_id_var.get(), "service": current_service_var.get()}
    return job.enqueue(*args, origin=origin, **kwargs)


def email_enqueue_many(job, calls):
    """Queue the email job `job` once per (args, kwargs) of `calls` in the caller's transaction,
    as email_enqueue does, in one INSERT whatever their number (a sweep queuing a batch keeps a
    constant number of queries). The rows are the ones django-tasks-db's enqueue writes."""
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    from core.transactions import current_service_var

    backend = job.get_backend()
    backend.validate_task(job)
    origin = {"request_id": request_id_var.get(), "service": current_service_var.get()}
    rows = [
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": list(args), "kwargs": {**kwargs, "origin": origin}}),
            priority=job.priority,
            task_path=job.module_path,
            queue_name=job.queue_name,
            # What django-tasks-db's pre_save handler stores for "now" (bulk_create sends no pre_save).
            run_after=job.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for args, kwargs in calls
    ]
    DBTaskResult.objects.bulk_create(rows)
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)
    return [row.task_result for row in rows]


def email_job(function):
    """`@task()` for an email job: accepts the `origin` that email_enqueue adds and logs the
    job's lines under the request id that caused it."""

    @functools.wraps(function)
    def run(*args, origin=None, **kwargs):
        token = request_id_var.set((origin or {}).get("request_id", "-"))
        try:
            return function(*args, **kwargs)
        finally:
            request_id_var.reset(token)

    return task()(run)


def job_origin(task_result):
    """(request id, service) that enqueued a job, ("-", "-") when unknown."""
    origin = task_result.kwargs.get("origin") or {}
    return origin.get("request_id", "-"), origin.get("service", "-")


def _recipient_zone(context):
    """The time zone of the creator an email is for (the context's `user`, with its profile;
    every email job passes it), or None (UTC)."""
    profile = getattr(context.get("user"), "profile", None)
    return getattr(profile, "tzinfo", None)


def _render_text(name, context):
    """A plain-text template, without HTML escaping ("Tom & Jerry", not "Tom &amp; Jerry")."""
    return engines["text"].get_template(name).render(context)


def render_email(template, context, to, headers=None):
    """Build a message from templates/email/<template>.subject.txt, .txt (plain text: not
    HTML-escaped) and .html (escaped), with the dates and times in the recipient creator's time
    zone (as on their pages). The subject is one line whatever the context holds (a line break
    in a header is refused by the mail library, and the job would fail for good). `headers`: extra
    ones, e.g. List-Unsubscribe (accounts.unsubscribe.headers_for)."""
    context = {"site_url": settings.SITE_URL, **context}
    with timezone.override(_recipient_zone(context)):
        subject = " ".join(_render_text(f"email/{template}.subject.txt", context).split())
        message = AnymailMessage(
            subject=subject,
            body=_render_text(f"email/{template}.txt", context),
            to=[to],
            tags=[template],
            headers=headers or {},
        )
        message.attach_alternative(render_to_string(f"email/{template}.html", context), "text/html")
    return message


def message_id_for(key):
    """The Message-ID of the email called `key`: the same for every attempt to send it (RFC 5322:
    a unique id, here derived from the key, at our site's domain)."""
    domain = urllib.parse.urlsplit(settings.SITE_URL).hostname or "creatorcompass.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def deliver_once(*, key, message):
    """Send `message` unless the email called `key` was already sent or is being sent by
    another worker. Returns "sent" or "duplicate".

    Call outside any transaction: the claim and the record are single-row statements that
    commit on their own, and the send in between is network I/O.
    """
    record, _ = SentEmail.objects.get_or_create(
        key=key, defaults={"to": message.to[0], "subject": message.subject}
    )
    now = timezone.now()
    claimed = SentEmail.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - settings.EMAIL_CLAIM_EXPIRY),
        pk=record.pk,
        sent_at__isnull=True,
    ).update(claimed_at=now)
    if not claimed:
        logger.info("email already sent or being sent key=%s", key)
        return "duplicate"
    if send_ledger.ledger_has_sent(key=key, to=message.to[0], subject=message.subject):
        # Sent before a database restore forgot it: the ledger outlives the database.
        SentEmail.objects.filter(pk=record.pk).update(sent_at=now)
        logger.info("email already sent (send ledger) key=%s", key)
        return "duplicate"
    message.extra_headers["Message-ID"] = message_id_for(key)
    try:
        message.send()
    except Exception:
        # Release the claim so a retry of the job may send it: the provider may have accepted
        # it already (at least once), the retry then sends the same Message-ID (module doc).
        SentEmail.objects.filter(pk=record.pk).update(claimed_at=None)
        raise
    status = getattr(message, "anymail_status", None)
    message_id = (status and status.message_id) or ""
    send_ledger.ledger_record(key=key, to=message.to[0], subject=message.subject, message_id=message_id)
    SentEmail.objects.filter(pk=record.pk).update(sent_at=timezone.now(), message_id=message_id)
    return "sent"


def send_once(*, key, template, context, to, headers=None):
    """Render templates/email/<template>.* and send it unless `key` was sent already (the
    body of every email job). Returns "sent" or "duplicate"."""
    return deliver_once(key=key, message=render_email(template, context, to=to, headers=headers))


def sent_email_forget(*, address):
    """Erase an address (a deleted creator's) from the sent-email log: the keys stay, so nothing
    is sent twice, but neither the address nor the subject (it may carry a name) remains."""
    SentEmail.objects.filter(to__iexact=address).update(to="", subject="")


def jobs_discard(*, task_paths, first_args):
    """Delete the job rows (queued, done or failed; not one a worker is running) of the jobs
    `task_paths` whose first argument is one of `first_args` (a deleted creator's id, their
    payments' ids): nothing is sent to them later, and no row names them. Call inside a
    transaction."""
    DBTaskResult.objects.filter(task_path__in=task_paths, args_kwargs__args__0__in=list(first_args)).exclude(
        status="RUNNING"
    ).delete()
