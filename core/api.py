"""Shared API pieces: the one exception handler that turns every error into
`{"error": {"code", "message", "fields"?}}`."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import exceptions as drf
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import DomainError

# DRF exception class -> our stable error code (checked in order; subclasses first).
_DRF_CODES = [
    (drf.ParseError, "malformed_request"),
    (drf.ValidationError, "invalid"),
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "authentication_failed"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "throttled"),
]


def error_body(code, message, fields=None, **extra):
    error = {"code": code, "message": message, **extra}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _flatten(detail):
    """DRF error details -> plain strings, keeping the field structure."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(
            error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status
        )
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if not isinstance(exc, drf.APIException):
        return None  # a bug: let Django answer 500 and log it
    set_rollback()
    code = next(code for cls, code in _DRF_CODES + [(drf.APIException, "error")] if isinstance(exc, cls))
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, drf.ValidationError):
        detail = _flatten(exc.detail)
        if isinstance(detail, dict):
            fields = {key: value if isinstance(value, list) else [value] for key, value in detail.items()}
        else:
            fields = {"non_field_errors": detail}
        body = error_body(code, "Some fields are not valid.", fields)
    else:
        body = error_body(code, str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


class ServiceChecked:
    """An Input serializer field that only shapes input (its type, whether it is required, its
    default): the rule is the service's, which refuses a bad value with InvalidInput naming the
    field (the same 400 envelope). The OpenAPI schema still documents the rule: `documented`
    holds the service's own constants (maxLength, minimum, maximum, enum)."""

    schema_type = "string"

    def __init__(self, *, documented, **kwargs):
        self.documented = documented
        super().__init__(**kwargs)


class ServiceCheckedCharField(ServiceChecked, serializers.CharField):
    pass


class ServiceCheckedIntegerField(ServiceChecked, serializers.IntegerField):
    schema_type = "integer"


class ServiceCheckedFieldSchema(OpenApiSerializerFieldExtension):
    """drf-spectacular: a ServiceChecked field's schema is its type plus the service's limits."""

    target_class = ServiceChecked
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": self.target.schema_type, **self.target.documented}


def validated(serializer_class, data):
    """Validate request data with an Input serializer; a failure becomes the 400 envelope."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _json_error(status, code, message):
    return JsonResponse(error_body(code, message), status=status)


def api_not_found(request, exception=None):
    return _json_error(404, "not_found", "Not found.")


def api_server_error(request, *args, **kwargs):
    return _json_error(500, "server_error", "Internal server error.")


def api_bad_request(request, exception=None):
    return _json_error(400, "malformed_request", "The request could not be read (too large or malformed).")


def api_forbidden(request, exception=None, message="You do not have permission to perform this action."):
    return _json_error(403, "permission_denied", message)
