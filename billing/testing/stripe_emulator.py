"""A Stripe API emulator on loopback, for tests (and local development without Stripe).

It answers what the Stripe client asks of it from objects a test registers (`put`), creates
the objects our code creates (customers, Checkout and portal sessions), updates
subscriptions, and honours `Idempotency-Key` like Stripe: the same key returns the first
response. Every request is recorded (`requests`) so tests can assert what was called.

    emulator = StripeEmulator().start()
    stripe.api_base = emulator.url
    emulator.put({"id": "sub_1", "object": "subscription", ...})
"""

import itertools
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Path under /v1 -> the object type it holds (for creates) and its id prefix.
CREATABLE = {
    "customers": ("customer", "cus"),
    "checkout/sessions": ("checkout.session", "cs_test"),
    "billing_portal/sessions": ("billing_portal.session", "bps"),
    "webhook_endpoints": ("webhook_endpoint", "we"),
}


# Collections that can be listed (GET /v1/<path>?customer=...), by object type.
LISTABLE = {"subscriptions": "subscription", "invoices": "invoice", "customers": "customer"}


def decode_form(body):
    """Stripe's form encoding (a[b][0][c]=v) -> nested dicts and lists."""
    result = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for part, following in zip(parts, parts[1:] + [None]):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(result)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class StripeEmulator:
    def __init__(self):
        self.objects = {}
        self.requests = []
        self._idempotent = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = None
        # GET /v1/account: the platform account behind the API key (dj-stripe asks once).
        self.put({"id": "acct_emulator", "object": "account", "type": "standard", "country": "US",
                  "default_currency": "usd", "email": "billing@creatorcompass.local", "charges_enabled": True,
                  "payouts_enabled": True, "details_submitted": True, "settings": {"dashboard": {"display_name": "CreatorCompass"}},
                  "business_profile": {"name": "CreatorCompass"}, "metadata": {}, "created": int(time.time())})
        self.objects["account"] = self.objects["acct_emulator"]

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                emulator._handle(self, "GET")

            def do_POST(self):
                emulator._handle(self, "POST")

            def do_DELETE(self):
                emulator._handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # --- state -------------------------------------------------------------------------------
    def put(self, obj):
        with self._lock:
            self.objects[obj["id"]] = json.loads(json.dumps(obj))
        return obj

    def get(self, object_id):
        return self.objects.get(object_id)

    def calls(self, method, path_prefix):
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(path_prefix)]

    def new_id(self, prefix):
        return f"{prefix}_{int(time.time())}{next(self._ids):06d}"

    # --- HTTP --------------------------------------------------------------------------------
    def _handle(self, handler, method):
        parsed = urllib.parse.urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        params = decode_form(body or parsed.query)
        key = handler.headers.get("Idempotency-Key")
        self.requests.append({"method": method, "path": parsed.path, "params": params, "idempotency_key": key})
        with self._lock:
            if method == "POST" and key and key in self._idempotent:
                status, payload = self._idempotent[key]
            else:
                status, payload = self._respond(method, parsed.path.removeprefix("/v1/"), params)
                if method == "POST" and key:
                    self._idempotent[key] = (status, payload)
        raw = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.send_header("Request-Id", f"req_{next(self._ids)}")
        handler.end_headers()
        handler.wfile.write(raw)

    def _missing(self, what):
        return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                               "message": f"No such object: '{what}'", "param": "id"}}

    def _respond(self, method, path, params):
        if method == "POST" and path in CREATABLE:
            return 200, self._create(path, params)
        if method == "GET" and path in LISTABLE:
            return 200, self._list(LISTABLE[path], params)
        resource, _, object_id = path.rpartition("/")
        obj = self.objects.get(object_id)
        if obj is None:
            return self._missing(object_id)
        if method == "POST":  # update, as Stripe's "modify"
            for name, value in params.items():
                if name in ("expand",):
                    continue
                obj[name] = {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value
            return 200, obj
        if method == "DELETE":
            obj["deleted"] = True
            return 200, {"id": object_id, "object": obj["object"], "deleted": True}
        return 200, obj

    def _list(self, object_type, params):
        found = [o for o in self.objects.values() if isinstance(o, dict) and o.get("object") == object_type]
        if "customer" in params:
            found = [o for o in found if o.get("customer") == params["customer"]]
        found = list({o["id"]: o for o in found}.values())
        found.sort(key=lambda o: o.get("created", 0), reverse=True)
        return {"object": "list", "url": f"/v1/{object_type}s", "has_more": False, "data": found[: int(params.get("limit", 10))]}

    def _create(self, path, params):
        object_type, prefix = CREATABLE[path]
        obj = {
            "id": self.new_id(prefix),
            "object": object_type,
            "livemode": False,
            "created": int(time.time()),
            "metadata": params.get("metadata", {}),
        }
        if object_type == "customer":
            obj.update(email=params.get("email"), name=params.get("name"), description=None,
                       balance=0, currency=None, delinquent=False, invoice_prefix="CC", default_source=None,
                       invoice_settings={"default_payment_method": None}, preferred_locales=[])
        elif object_type == "checkout.session":
            obj.update(
                mode=params.get("mode"), customer=params.get("customer"), status="open", payment_status="unpaid",
                client_reference_id=params.get("client_reference_id"), success_url=params.get("success_url"),
                cancel_url=params.get("cancel_url"), line_items=params.get("line_items"), subscription=None,
                subscription_data=params.get("subscription_data", {}), url=f"{self.url}/checkout/{obj['id']}",
                expires_at=int(time.time()) + 86400, amount_total=None, currency="usd",
            )
        elif object_type == "billing_portal.session":
            obj.update(customer=params.get("customer"), return_url=params.get("return_url"),
                       url=f"{self.url}/portal/{obj['id']}")
        elif object_type == "webhook_endpoint":
            obj.update(url=params.get("url"), enabled_events=params.get("enabled_events", ["*"]),
                       status="enabled", api_version=params.get("api_version"), application=None,
                       secret=f"whsec_{self.new_id('emu')}", description=params.get("description"))
        self.objects[obj["id"]] = obj
        return obj
