"""Structured logs: one JSON object per line, with the id of the request being served."""

import contextvars
import json
import logging
import time

request_id_var = contextvars.ContextVar("request_id", default="-")
# The client's address (core.client_ip, the proxies' setting applied) of the request being served.
client_ip_var = contextvars.ContextVar("client_ip", default="-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` and `client_ip` to every record (`-` outside a request)."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        record.client_ip = client_ip_var.get()
        return True


class JsonFormatter(logging.Formatter):
    _SKIP = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "client_ip": getattr(record, "client_ip", "-"),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._SKIP and k not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
