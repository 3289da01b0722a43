import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    # Only what a production process would be given: none of the test run's settings.
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "creatorcompass.settings", **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="creatorcompass.example",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_lock_order_checks_are_on_with_debug_and_off_in_production():
    show = ["shell", "-v", "0", "-c", "from django.conf import settings; print(settings.LOCK_ORDER_CHECKS)"]

    production = _manage(*show, DEBUG="false", SECRET_KEY="x" * 50)
    development = _manage(*show, DEBUG="true")

    assert (production.stdout.strip(), development.stdout.strip()) == ("False", "True"), production.stderr + development.stderr


def test_health_checks_are_on_straight_to_postgresql_and_off_behind_pgbouncer():
    show = ["shell", "-v", "0", "-c", "from django.conf import settings; print(settings.DATABASES['default']['CONN_HEALTH_CHECKS'])"]
    url = "postgres://postgres@127.0.0.1:5432/creatorcompass"

    direct = _manage(*show, DEBUG="true", DATABASE_URL=url)
    pooled = _manage(*show, DEBUG="true", DATABASE_URL=url, DB_TRANSACTION_POOLING="true")
    pooled_checked = _manage(*show, DEBUG="true", DATABASE_URL=url, DB_TRANSACTION_POOLING="true", DB_CONN_HEALTH_CHECKS="true")

    assert [r.stdout.strip() for r in (direct, pooled, pooled_checked)] == ["True", "False", "True"], direct.stderr + pooled.stderr
