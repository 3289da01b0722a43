"""A bench-only email backend (bench/faults.py): every message "sent" is one JSON line
appended to settings.BENCH_EMAIL_LOG and fsynced before send returns, so a worker killed
right after a send cannot lose the record, and the run can count each email's deliveries."""

import fcntl
import json
import os

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        lines = "".join(
            json.dumps({"to": m.to, "subject": m.subject, "tags": getattr(m, "tags", []), "body": m.body}) + "\n"
            for m in email_messages
        )
        with open(settings.BENCH_EMAIL_LOG, "a", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)  # several workers may append at once
            log.write(lines)
            log.flush()
            os.fsync(log.fileno())
        return len(email_messages)
