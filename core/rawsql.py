"""Hand-written SQL for the few hot-path reads where the ORM's query building costs more CPU than
the statement itself (a completion's stats lock and pending celebrations: 0.5 ms of the ORM's
Python against 0.05 ms to send and read the statement). The statements still take every table
and column name from the models, and values come back converted by the same converters the ORM
applies (on SQLite a date-time arrives without its time zone), so a renamed column or another
backend cannot silently read something else."""

from django.db import connections, router


class Table:
    """A model's table as it appears in hand-written SQL, on the connection `alias` (by default
    the one the router picks for reading the model)."""

    def __init__(self, model, *, alias=None, for_write=False):
        self.model = model
        self.meta = model._meta
        self.alias = alias or (router.db_for_write(model) if for_write else router.db_for_read(model))
        self.connection = connections[self.alias]
        self.name = self.connection.ops.quote_name(self.meta.db_table)

    def column(self, field_name):
        """The quoted, table-qualified column of a field (a foreign key by its field name)."""
        field = self.meta.get_field(field_name)
        return f"{self.name}.{self.connection.ops.quote_name(field.column)}"

    def columns(self, field_names):
        return ", ".join(self.column(name) for name in field_names)


def rows_read(table, sql, params, fields):
    """Run `sql` on the table's connection; return its rows as tuples, each value converted as
    the ORM converts the field at that position (`fields`: (Table, field name) pairs, one per
    selected column)."""
    converters = []
    for position, (owner, name) in enumerate(fields):
        column = owner.meta.get_field(name).get_col(owner.meta.db_table)
        found = table.connection.ops.get_db_converters(column) + column.get_db_converters(table.connection)
        if found:
            converters.append((position, column, found))
    with table.connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for position, column, found in converters:
            for convert in found:
                row[position] = convert(row[position], column, table.connection)
        converted.append(tuple(row))
    return converted
