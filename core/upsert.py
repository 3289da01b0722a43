"""INSERT … ON CONFLICT DO NOTHING RETURNING id, for an idempotency constraint (DESIGN.md §3.5)."""

from django.db import connections, router


def insert_once(instance, *, unique_fields):
    """Insert `instance` unless a row with the same `unique_fields` (a unique constraint) exists;
    True if inserted (and `instance.pk` set). One statement (PostgreSQL, SQLite ≥ 3.35) where the
    ORM needs three inside a transaction: SAVEPOINT, INSERT, RELEASE (so that a duplicate's
    IntegrityError does not abort the transaction), since bulk_create(ignore_conflicts=True)
    returns no id. The constraint decides, so a repeat is a repeat even without any lock."""
    model = type(instance)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(quote(meta.get_field(name).column) for name in unique_fields)}) "
        f"DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    params = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding, instance._state.db = False, alias
    return True
