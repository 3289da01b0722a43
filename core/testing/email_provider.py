"""A provider-side fake for the email tests: it accepts every message, and for the first
`timeouts` sends loses its answer (raises a read timeout after accepting), as a real provider's
API can. What it accepted, and what a mailbox that keeps one message per Message-ID (Gmail's
behaviour) would show, are kept on the class for the test to read."""

import requests
from django.core.mail.backends.base import BaseEmailBackend


class AcceptThenTimeoutBackend(BaseEmailBackend):
    accepted = []  # the Message-ID of every message the provider accepted, in order
    mailbox = {}  # Message-ID -> subject: what the recipient sees
    timeouts = 0  # how many of the next sends time out after the provider accepted them

    @classmethod
    def reset(cls, *, timeouts=0):
        cls.accepted, cls.mailbox, cls.timeouts = [], {}, timeouts

    def send_messages(self, email_messages):
        cls = type(self)
        for email in email_messages:
            mime = email.message()  # Django adds a fresh Message-ID when the message has none
            cls.accepted.append(mime["Message-ID"])
            cls.mailbox.setdefault(mime["Message-ID"], email.subject)
            if cls.timeouts:
                cls.timeouts -= 1
                raise requests.ReadTimeout("the provider accepted the message; its answer never came")
        return len(email_messages)
