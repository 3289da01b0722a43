"""Hand-written SQL for the few hot-path statements where the ORM's query building costs more CPU than
the statement itself (a completion's stats lock and pending celebrations: 0.5 ms of the ORM's
Python against 0.1 ms to send and read the statement). The statements still take every table
and column name from the models, and values come back converted by the same converters the ORM
applies (on SQLite a date-time arrives without its time zone), so a renamed column or another
backend cannot silently read something else; a write's values go through the fields'
get_db_prep_save, as the ORM prepares what it saves. Each statement's text and converters are
built once per database alias, not on every call."""

from django.db import connections, router


class Table:
    """A model's table as it appears in hand-written SQL on the connection `alias`."""

    def __init__(self, model, alias):
        self.meta = model._meta
        self.connection = connections[alias]
        self.name = self.connection.ops.quote_name(self.meta.db_table)

    def column(self, field_name, *, qualified=True):
        """The quoted, table-qualified column of a field (a foreign key by its field name);
        unqualified for the left side of an UPDATE's SET."""
        column = self.connection.ops.quote_name(self.meta.get_field(field_name).column)
        return f"{self.name}.{column}" if qualified else column

    def columns(self, field_names):
        return ", ".join(self.column(name) for name in field_names)


class _Statement:
    """A hand-written statement on `model`'s database, whose text and per-value field work
    (`_prepare(alias)`, from `build(alias)`) are made once per database alias."""

    def __init__(self, model, build):
        self.model = model
        self.build = build
        self._prepared = {}  # alias -> what _prepare made

    def _prepared_for(self, alias):
        prepared = self._prepared.get(alias)
        if prepared is None:
            prepared = self._prepared[alias] = self._prepare(alias)
        return prepared


class Select(_Statement):
    """A hand-written SELECT on `model`'s database. `build(alias)` returns its SQL and, per
    selected column, the (Table, field name) whose converters its values go through."""

    def _prepare(self, alias):
        sql, fields = self.build(alias)
        connection = connections[alias]
        converters = []
        for position, (table, name) in enumerate(fields):
            column = table.meta.get_field(name).get_col(table.meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((position, column, found))
        return sql, converters

    def rows(self, params, *, alias=None):
        """The statement's rows as tuples, values converted as the ORM converts them, on `alias`
        (default: where the router sends reads of the model)."""
        alias = alias or router.db_for_read(self.model)
        sql, converters = self._prepared_for(alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, column, found in converters:
                for convert in found:
                    row[position] = convert(row[position], column, connection)
            converted.append(tuple(row))
        return converted


class Write(_Statement):
    """A hand-written INSERT, UPDATE or DELETE on `model`'s table. `build(alias)` returns its SQL
    and, per parameter, the (Table, field name) whose get_db_prep_save its value goes through."""

    def _prepare(self, alias):
        sql, fields = self.build(alias)
        return sql, [table.meta.get_field(name) for table, name in fields]

    def execute(self, params, *, alias=None):
        """Run the statement on `alias` (default: where the router sends writes of the model, which
        also tells the router this context wrote); returns the number of rows it changed."""
        alias = alias or router.db_for_write(self.model)
        sql, fields = self._prepared_for(alias)
        connection = connections[alias]
        values = [field.get_db_prep_save(value, connection) for field, value in zip(fields, params, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.rowcount


class ModelRow:
    """The one row of `model` whose `where` fields equal the parameters (a unique key), read by
    hand-written SQL into the instance the ORM would build (Model.from_db, every concrete field),
    or None."""

    def __init__(self, model, *where):
        self.model = model
        self.where = where
        self.field_names = [field.name for field in model._meta.concrete_fields]
        self.select = Select(model, self._build)

    def _build(self, alias):
        table = Table(self.model, alias)
        conditions = " AND ".join(f"{table.column(name)} = %s" for name in self.where)
        sql = f"SELECT {table.columns(self.field_names)} FROM {table.name} WHERE {conditions}"
        return sql, [(table, name) for name in self.field_names]

    def get(self, params):
        alias = router.db_for_read(self.model)
        rows = self.select.rows(params, alias=alias)
        return self.model.from_db(alias, self.field_names, rows[0]) if rows else None
