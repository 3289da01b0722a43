"""A creator asks for an export of their data (GDPR art. 20): the job that builds it (ops.jobs,
from ops.export) is queued in the transaction that records the request."""

from accounts import account_services
from core.email import email_enqueue
from core.transactions import durable_service
from ops import jobs


@durable_service("ops.data_export_request")
def data_export_request(*, user):
    """Queue an export of the creator's data; its job emails a download link when it is built."""
    export = account_services.data_export_create(user_id=user.pk)
    email_enqueue(jobs.data_export_build, export.pk)
    return export
