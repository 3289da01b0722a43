class IdConverter:
    """`<id:name>` in URLs: a primary key that fits a 64-bit integer column. `<int:>` accepts
    any length, and an id past the column's range made the database raise (a 500) instead of
    answering 404 (found by the schemathesis run in core/tests/test_api_fuzz.py)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)
