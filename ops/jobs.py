"""Ops' jobs (django-tasks, run by `manage.py db_worker`)."""

from accounts.models import DataExport
from core.email import email_job
from ops import export


@email_job
def data_export_build(export_id):
    """Build a data export from one snapshot, store it, and queue the email with its link. Run
    twice, it builds again and the email (keyed by the export) goes once."""
    user_id = DataExport.objects.filter(pk=export_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return "skipped"
    archive = export.export_archive(export.export_snapshot(user_id=user_id))
    export.data_export_store(export_id=export_id, user_id=user_id, archive=archive)
    return "built"
