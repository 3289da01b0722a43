"""Real threads released together, for the PostgreSQL concurrency tests."""

import threading

from django.db import connection


def race(n, work):
    """Run work(i) in n threads released together by a barrier; each closes its database
    connection. Returns their results; an unexpected exception fails the caller."""
    barrier = threading.Barrier(n)
    results = [None] * n
    errors = []

    def run(i):
        try:
            barrier.wait(timeout=15)
            results[i] = work(i)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return results
