"""Pieces every bench script shares: a fresh PostgreSQL database, Django configured with
bench.settings, a gunicorn server on a free loopback port, and wrk runs that print one JSON
summary line (bench/summary.lua)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def configure(database_url):
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings", DATABASE_URL=database_url, DEBUG="false",
        SECRET_KEY="bench-secret-key-not-for-production-0123456789abcdef", ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0", LOG_LEVEL="WARNING", SLOW_TRANSACTION_MS="100000",
    )
    import django

    django.setup()


def _on_server(database_url, *statements):
    """Run statements on the server's `postgres` database; `{name}` is the URL's database."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.format(name=name))


def recreate_database(database_url):
    _on_server(database_url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', 'CREATE DATABASE "{name}"')


def drop_database(database_url):
    _on_server(database_url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not become ready")


def wrk(url, seconds, connections, script, *script_args, headers=None):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    if script_args:
        command += ["--", *map(str, script_args)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if run.returncode != 0:
        raise SystemExit(f"wrk failed: {run.stdout}{run.stderr}")
    output = run.stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith("BENCH ")).removeprefix("BENCH "))


@contextmanager
def gunicorn(workers, log_path, extra_env=None, app_log=None):
    """gunicorn with bench.settings on a free loopback port; yields its base URL. The app's own
    log lines go to `app_log` (a file) when given, else to this process's stderr."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    output = app_log.open("a") if app_log else None
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "creatorcompass.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--error-logfile", str(log_path)],
        cwd=ROOT, env={**os.environ, **(extra_env or {})}, start_new_session=True, stdout=output, stderr=output,
    )
    try:
        wait_ready(base)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def prepare(default_database_url, **environment):
    """Everything a bench run starts with: wrk present, a fresh PostgreSQL database
    (BENCH_DATABASE_URL or the default), Django configured, migrated, content loaded and static
    files collected. Returns the database URL."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    database_url = os.environ.get("BENCH_DATABASE_URL", default_database_url)
    recreate_database(database_url)
    os.environ.update(environment)
    configure(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    return database_url
