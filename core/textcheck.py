"""Control characters in text input.

A NUL byte cannot be stored in a PostgreSQL text column (the database raises, a 500), and the
other C0/C1 control characters have no business in a title, a note or a URL: they are refused
with a 400 naming the field. Tab, line feed and carriage return are allowed in field values
(multi-line notes); a path allows none. Single-line names have stricter rules of their own
(accounts' display-name check).
"""

import re

# Unicode's control characters (category Cc, fixed by its stability policy): C0, DEL and C1. One
# regular expression scans in C what a loop over the characters did in Python, on every request.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_MULTILINE_WHITESPACE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # not \t \n \r


def control_character(text, *, allow_whitespace=True):
    """The first control character in `text` (None when there is none)."""
    found = (_CONTROL_BUT_MULTILINE_WHITESPACE if allow_whitespace else _CONTROL).search(text)
    return found.group() if found else None


def control_character_message(char):
    return f"Remove the control character U+{ord(char):04X}: it is not allowed here."


def field_label(name):
    """A field name safe to show and log (a name may itself carry control characters)."""
    return name if control_character(name, allow_whitespace=False) is None else repr(name)


def first_control_character(items):
    """(field, char) for the first (name, value) pair whose name or value holds a control
    character, else None."""
    for name, value in items:
        for text in (name, value):
            char = control_character(text)
            if char is not None:
                return field_label(name), char
    return None


def walk_json(data, prefix=""):
    """(dotted field, string) for every string key and value in parsed JSON."""
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield name, str(key)
            yield from walk_json(value, name)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk_json(value, f"{prefix}.{index}" if prefix else str(index))
    elif isinstance(data, str):
        yield prefix or "non_field_errors", data
