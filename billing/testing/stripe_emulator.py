"""A Stripe API emulator on loopback, for tests (and local development without Stripe).

It answers what the Stripe client asks of it from objects a test registers (`put`), creates
the objects our code creates (customers, Checkout and portal sessions), updates
subscriptions, and honours `Idempotency-Key` like Stripe: the same key returns the first
response. Every request is recorded (`requests`) so tests can assert what was called.

It also serves the pages Stripe hosts, for browser tests: a Checkout page whose "Pay" button
creates the subscription and its paid invoice, delivers the events Stripe would send
(checkout.session.completed, customer.subscription.created, invoice.paid), signed with each
registered webhook endpoint's secret, and returns the customer to `success_url`; and a
customer-portal page that links back to `return_url`.

    emulator = StripeEmulator().start()
    stripe.api_base = emulator.url
    emulator.put({"id": "sub_1", "object": "subscription", ...})
"""

import hashlib
import hmac
import html
import itertools
import json
import operator
import re
import threading
import time
import urllib.parse
import urllib.request
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
CREATED_BOUNDS = {"gte": operator.ge, "gt": operator.gt, "lte": operator.le, "lt": operator.lt}


def webhook_signature(secret, body, timestamp=None):
    """Stripe-Signature: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(timestamp or time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def subscription_object(subscription_id, customer_id, price, *, period_start, period_end, status="active",
                        cancel_at_period_end=False, metadata=None, latest_invoice=None):
    """A subscription with one item selling `price` (a price object), shaped like the API
    version we pin; what the emulator's Checkout creates and what tests register."""
    now = int(time.time())
    return {
        "id": subscription_id, "object": "subscription", "livemode": False, "created": now, "customer": customer_id,
        "status": status, "cancel_at_period_end": cancel_at_period_end, "canceled_at": None if status != "canceled" else now,
        "ended_at": None if status != "canceled" else now, "start_date": now, "billing_cycle_anchor": now,
        "collection_method": "charge_automatically", "currency": price["currency"], "metadata": metadata or {},
        "latest_invoice": latest_invoice, "default_payment_method": None, "discounts": [], "trial_end": None,
        "trial_start": None,
        "items": {"object": "list", "has_more": False, "data": [{
            "id": f"si_{subscription_id}", "object": "subscription_item", "created": now, "quantity": 1,
            "subscription": subscription_id, "current_period_start": period_start, "current_period_end": period_end,
            "metadata": {}, "price": price,
        }]},
    }


def invoice_object(invoice_id, customer_id, subscription_id, *, price_id, product_id, amount, number,
                   hosted_invoice_url, billing_reason, currency="usd", status="paid", period=None, created=None):
    """An invoice of one subscription line (for `period`, (start, end) in Unix seconds; default
    the 30 days from now), shaped like the API version we pin."""
    now = int(created or time.time())
    period_start, period_end = period or (now, now + 30 * 86400)
    paid = status == "paid"
    return {
        "id": invoice_id, "object": "invoice", "livemode": False, "created": now, "customer": customer_id,
        "status": status, "amount_due": amount, "amount_paid": amount if paid else 0, "amount_remaining": 0,
        "currency": currency, "number": number, "hosted_invoice_url": hosted_invoice_url,
        "status_transitions": {"paid_at": now if paid else None, "finalized_at": now},
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription_id, "metadata": {}}},
        "lines": {"object": "list", "has_more": False, "data": [{
            "id": f"il_{invoice_id}", "object": "line_item", "amount": amount, "currency": currency, "quantity": 1,
            "period": {"start": period_start, "end": period_end},
            "pricing": {"type": "price_details", "price_details": {"price": price_id, "product": product_id}},
        }]},
        "metadata": {}, "attempt_count": 1, "billing_reason": billing_reason, "collection_method": "charge_automatically",
        "discounts": [], "total": amount, "subtotal": amount,
    }


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
        self.deliveries = []  # webhook deliveries the hosted pages made: event type and our answer
        self._idempotent = {}
        self._ids = itertools.count(1)
        self._failures = {}  # (method, path) -> how many more requests to fail (`fail`)
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

    def fail(self, method, path, times=1):
        """Answer the next `times` requests `method path` (e.g. "POST", "/v1/checkout/sessions")
        with a 500 api_error, as Stripe does when it has an incident (and, as Stripe does, with
        `Stripe-Should-Retry: false`, so the client does not retry it)."""
        with self._lock:
            self._failures[(method, path)] = self._failures.get((method, path), 0) + times

    def _expanded(self, payload, paths):
        """Stripe's `expand[]`: each dotted path names an id to replace by its object; `data`
        steps into a list's items."""
        payload = json.loads(json.dumps(payload))
        for path in paths:
            self._expand_path(payload, path.split("."))
        return payload

    def _expand_path(self, node, parts):
        if isinstance(node, list):
            for item in node:
                self._expand_path(item, parts)
            return
        if not isinstance(node, dict) or not parts:
            return
        head, rest = parts[0], parts[1:]
        value = node.get(head)
        if not rest and isinstance(value, str) and value in self.objects:
            node[head] = json.loads(json.dumps(self.objects[value]))
        else:
            self._expand_path(value, rest)

    # --- HTTP --------------------------------------------------------------------------------
    def _handle(self, handler, method):
        parsed = urllib.parse.urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        if not parsed.path.startswith("/v1/"):
            return self._hosted_page(handler, method, parsed.path)
        params = decode_form(body or parsed.query)
        key = handler.headers.get("Idempotency-Key")
        self.requests.append({"method": method, "path": parsed.path, "params": params, "idempotency_key": key,
                              "stripe_version": handler.headers.get("Stripe-Version")})
        failing = False
        with self._lock:
            if method == "POST" and key and key in self._idempotent:
                status, payload = self._idempotent[key]
            elif self._failures.get((method, parsed.path), 0) > 0:
                self._failures[(method, parsed.path)] -= 1
                failing = True
                status, payload = 500, {"error": {"type": "api_error", "message": "The emulator failed on purpose."}}
            else:
                status, payload = self._respond(method, parsed.path.removeprefix("/v1/"), params)
                if method == "POST" and key:
                    self._idempotent[key] = (status, payload)
            if status == 200:
                payload = self._expanded(payload, params.get("expand") or [])
        raw = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.send_header("Request-Id", f"req_{next(self._ids)}")
        if failing:
            handler.send_header("Stripe-Should-Retry", "false")  # as Stripe says of most of its 500s
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
        """Stripe's list: newest first, `customer`, `status` (a subscription's; "all" for every one),
        `created[gte|gt|lte|lt]`, pages of `limit` after `starting_after`, `has_more`."""
        found = [o for o in self.objects.values() if isinstance(o, dict) and o.get("object") == object_type]
        if "customer" in params:
            found = [o for o in found if o.get("customer") == params["customer"]]
        if params.get("status", "all") != "all":
            found = [o for o in found if o.get("status") == params["status"]]
        for bound, value in (params.get("created") or {}).items():
            keep = CREATED_BOUNDS[bound]
            found = [o for o in found if keep(o.get("created", 0), int(value))]
        found = list({o["id"]: o for o in found}.values())
        found.sort(key=lambda o: o.get("created", 0), reverse=True)
        if params.get("starting_after"):
            after = [o["id"] for o in found].index(params["starting_after"])
            found = found[after + 1:]
        limit = int(params.get("limit", 10))
        return {"object": "list", "url": f"/v1/{object_type}s", "has_more": len(found) > limit, "data": found[:limit]}

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

    # --- pages Stripe hosts ------------------------------------------------------------------
    def _hosted_page(self, handler, method, path):
        kind, _, rest = path.strip("/").partition("/")
        session_id, _, action = rest.partition("/")
        session = self.objects.get(session_id)
        if kind == "checkout" and session and method == "GET":
            return self._send_html(handler, self._checkout_page(session))
        if kind == "checkout" and session and method == "POST" and action == "pay":
            # Delivered before redirecting (Stripe sends them asynchronously): deterministic
            # for tests, and outside the lock, because our webhook handler calls back here.
            for event in self._checkout_pay(session):
                self._deliver(event)
            return self._redirect(handler, session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
        if kind == "portal" and session and method == "GET":
            link = html.escape(session["return_url"])
            return self._send_html(handler, f"<h1>Manage your subscription</h1><p><a href=\"{link}\">Return to CreatorCompass</a></p>")
        handler.send_error(404)

    def _checkout_page(self, session):
        price = self.objects[session["line_items"][0]["price"]]
        product = self.objects[price["product"]]
        amount = f"${int(price['unit_amount']) / 100:.2f} / {price['recurring']['interval']}"
        return (
            f"<h1>Subscribe to {html.escape(product['name'])}</h1><p id=\"amount\">{amount}</p>"
            f"<form method=\"post\" action=\"/checkout/{session['id']}/pay\"><label>Card number "
            f"<input name=\"card\" value=\"4242 4242 4242 4242\" autocomplete=\"off\"></label>"
            f"<button type=\"submit\">Pay</button></form>"
            f"<p><a href=\"{html.escape(session['cancel_url'])}\">Back</a></p>"
        )

    def _checkout_pay(self, session):
        """Complete the session once: subscription, paid invoice, and the three events."""
        with self._lock:
            if session["status"] == "complete":
                return []
            now = int(time.time())
            price = self.objects[session["line_items"][0]["price"]]
            subscription_id, invoice_id = self.new_id("sub"), self.new_id("in")
            period = (365 if price["recurring"]["interval"] == "year" else 30) * 86400
            subscription = subscription_object(
                subscription_id, session["customer"], price, period_start=now, period_end=now + period,
                metadata=session.get("subscription_data", {}).get("metadata", {}), latest_invoice=invoice_id,
            )
            amount = int(price["unit_amount"])
            invoice = invoice_object(
                invoice_id, session["customer"], subscription_id, price_id=price["id"], product_id=price["product"],
                amount=amount, currency=price["currency"], number=f"CC-{invoice_id[-6:]}",
                hosted_invoice_url=f"{self.url}/invoice/{invoice_id}", billing_reason="subscription_create",
                period=(now, now + period),
            )
            session.update(status="complete", payment_status="paid", subscription=subscription_id, amount_total=amount)
            for obj in (subscription, invoice):
                self.objects[obj["id"]] = obj
            return [self._event(kind, json.loads(json.dumps(obj))) for kind, obj in (
                ("checkout.session.completed", session),
                ("customer.subscription.created", subscription),
                ("invoice.paid", invoice),
            )]

    def _event(self, event_type, obj):
        return {"id": self.new_id("evt"), "object": "event", "api_version": None, "created": int(time.time()),
                "livemode": False, "type": event_type, "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}}

    def _deliver(self, event):
        """POST the event to every enabled endpoint that wants it, signed with its secret."""
        for endpoint in [o for o in list(self.objects.values()) if o.get("object") == "webhook_endpoint"]:
            if endpoint.get("deleted") or not {"*", event["type"]} & set(endpoint["enabled_events"]):
                continue
            body = json.dumps({**event, "api_version": endpoint.get("api_version")})
            request = urllib.request.Request(endpoint["url"], data=body.encode(), method="POST", headers={
                "Content-Type": "application/json", "Stripe-Signature": webhook_signature(endpoint["secret"], body)})
            with urllib.request.urlopen(request, timeout=30) as response:
                self.deliveries.append({"event": event["type"], "status": response.status})

    def _send_html(self, handler, body):
        raw = f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stripe emulator</title></head><body>{body}</body></html>".encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    def _redirect(self, handler, location):
        handler.send_response(303)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
