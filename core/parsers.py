"""The API's JSON parser: DRF's, refusing control characters in any string (core.textcheck)."""

from rest_framework import exceptions, parsers

from core.textcheck import (
    control_character,
    control_character_message,
    field_label,
    walk_json,
)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        for name, text in walk_json(data):
            char = control_character(text)
            if char is not None:
                raise exceptions.ValidationError({field_label(name): [control_character_message(char)]})
        return data
