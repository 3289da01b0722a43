"""Limits on what a request body may be, checked before anything parses it.

- Size: a body longer than REQUEST_BODY_MAX_BYTES (its Content-Length) is a 400 before anything
  reads it (core.middleware.RequestBodyLimitMiddleware); Django's DATA_UPLOAD_MAX_MEMORY_SIZE and
  FILE_UPLOAD_MAX_MEMORY_SIZE use the same figure.
- Nesting: JSON nested deeper than JSON_MAX_DEPTH arrays and objects is refused before
  json.loads sees it (Python's parser recurses once per level: ~1,000 `[` raise RecursionError,
  a 500 with a traceback). Every JSON body we parse goes through json_loads_limited: the API's
  parser (core.parsers) and the Stripe webhook (billing.views).
"""

import itertools
import json

from django.conf import settings

# Our deepest body (a Stripe event: event.data.object.items.data[].price.recurring) is ~8 levels.
JSON_MAX_DEPTH = 32
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
# Opening brackets become byte 0x01 (+1 as a signed byte), closing ones 0xFF (-1).
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class JSONBodyError(ValueError):
    """A JSON body refused before or while parsing: the message says why, for the client."""


def json_depth(body):
    """The deepest nesting of arrays and objects in `body` (bytes), without parsing: no
    recursion, linear in the body, every step in C. Strings are cut out (escaped backslashes,
    then escaped quotes, removed; what lies between the remaining quotes is string text), each
    bracket becomes a signed byte (+1 opening, -1 closing, anything else deleted), and the
    deepest level is the largest running sum."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[0::2])
    steps = outside_strings.translate(_BRACKET_STEPS, _NOT_BRACKETS)
    return max(itertools.accumulate(memoryview(steps).cast("b")), default=0)


def json_loads_limited(body, *, strict=True):
    """json.loads for a request body (bytes), refusing (JSONBodyError) one that is too large,
    nested too deeply, not UTF-8 or not JSON (with `strict`, NaN and Infinity are not JSON)."""
    if len(body) > settings.REQUEST_BODY_MAX_BYTES:
        raise JSONBodyError(f"The body is larger than {settings.REQUEST_BODY_MAX_BYTES} bytes.")
    if json_depth(body) > JSON_MAX_DEPTH:
        raise JSONBodyError(f"JSON nested deeper than {JSON_MAX_DEPTH} levels is not accepted.")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant if strict else None)
    except (UnicodeDecodeError, ValueError) as exc:
        raise JSONBodyError(f"The body is not valid JSON: {exc}") from exc


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")
