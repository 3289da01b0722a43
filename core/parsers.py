"""The API's JSON parser: size and nesting limited before parsing (core.bodylimits), control
characters refused in any string (core.textcheck)."""

from django.conf import settings
from rest_framework import exceptions, parsers

from core.bodylimits import JSONBodyError, json_loads_limited
from core.textcheck import (
    control_character,
    control_character_message,
    field_label,
    walk_json,
)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # DRF hands the parser Django's request stream, which DATA_UPLOAD_MAX_MEMORY_SIZE does not
        # guard: read one byte past the limit, no more.
        body = stream.read(settings.REQUEST_BODY_MAX_BYTES + 1) if stream is not None else b""
        try:
            data = json_loads_limited(body, strict=self.strict)
        except JSONBodyError as exc:
            raise exceptions.ParseError(str(exc)) from exc
        for name, text in walk_json(data):
            char = control_character(text)
            if char is not None:
                raise exceptions.ValidationError({field_label(name): [control_character_message(char)]})
        return data
