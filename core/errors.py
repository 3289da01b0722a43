"""The domain-exception hierarchy. Services raise these; `core.api.exception_handler` maps
them once to HTTP for the API, and `core.page_errors.page_errors` once for pages, which show
`message` to the person."""


class DomainError(Exception):
    """Base of every expected failure. `code` is stable and machine-readable."""

    status = 400
    code = "error"
    message = "Something went wrong."

    def __init__(self, message=None, *, fields=None, extra=None):
        self.message = message or self.message
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    """Bad input: `fields` maps each offending field name to a list of messages."""

    status = 400
    code = "invalid"
    message = "Some fields are not valid."

    @classmethod
    def raise_if_any(cls, errors):
        """Refuse input with every field of `errors` (field -> messages) named, if there is one."""
        if errors:
            raise cls(fields=errors)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "This conflicts with the current state."


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class PlanRequired(Conflict):
    code = "plan_required"
    message = "This needs a paid plan."


class LimitReached(DomainError):
    status = 429
    code = "limit_reached"
    message = "You have reached the limit of your plan."


class UpstreamUnavailable(DomainError):
    """A service we depend on (Stripe) failed or is unreachable; nothing was changed here."""

    status = 502
    code = "upstream_unavailable"
    message = "Our payment provider did not answer. Nothing was charged; please try again."


class Throttled(DomainError):
    """Too many attempts of something that costs an email or a password hash."""

    status = 429
    code = "throttled"
    message = "Too many attempts. Please wait and try again."


class TooLong(DomainError):
    """Work that would outlast what the caller can wait for (a page's request): run it where
    time is not bounded (a command) instead."""

    status = 503
    code = "too_long"
    message = "This takes longer than a page can wait."
