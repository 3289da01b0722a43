"""The writes a check_transactions scenario declares its run must reach (`scenario(reaches=...)`,
core.transaction_checks): each read before and after the counting run, inside its savepoint."""

from django_tasks_db.models import DBTaskResult


def _column_values(conn, table, column):
    quote = conn.ops.quote_name
    with conn.cursor() as cursor:
        key = conn.introspection.get_primary_key_column(cursor, table)
        cursor.execute(f"SELECT {quote(key)}, {quote(column)} FROM {quote(table)}")
        return {row_key: value for row_key, value in cursor.fetchall()}


def _jobs_by_name():
    return {pk: path.rsplit(".", 1)[-1] for pk, path in DBTaskResult.objects.values_list("pk", "task_path")}


def reach_state(reaches, conn):
    """What the declared column and job reaches are judged on, read before and after the run."""
    state = {}
    for reach in reaches:
        if reach.startswith("job:"):
            state.setdefault("job:", _jobs_by_name())
        elif "." in reach:
            state[reach] = _column_values(conn, *reach.split(".", 1))
    return state


def unreached(reaches, before, after, changed_tables):
    """The declared reaches the run missed, in declaration order."""
    missed = []
    for reach in reaches:
        if reach.startswith("job:"):
            new_jobs = {name for pk, name in after["job:"].items() if pk not in before["job:"]}
            reached = reach.removeprefix("job:") in new_jobs
        elif "." in reach:
            old, new = before[reach], after[reach]
            # A row's column took another value (None too: a reset is a branch), or a new row has one.
            reached = any(old[key] != value if key in old else value is not None for key, value in new.items())
        else:
            reached = reach in changed_tables
        if not reached:
            missed.append(reach)
    return missed
