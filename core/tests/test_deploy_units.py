"""The process definitions in deploy/ (Procfile, systemd units) name commands that exist."""

import re
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

DEPLOY = Path(settings.BASE_DIR) / "deploy"
_MANAGE = re.compile(r"manage\.py (\S+)")


def unknown_commands(text):
    """The `manage.py <command>` names in `text` that Django does not know."""
    return sorted(set(_MANAGE.findall(text)) - set(get_commands()))


def _process_files():
    return [DEPLOY / "Procfile", *sorted((DEPLOY / "systemd").glob("*.service"))]


def test_every_process_runs_a_command_that_exists():
    assert _process_files() and all(path.exists() for path in _process_files())
    for path in _process_files():
        assert unknown_commands(path.read_text()) == [], path.name


def test_the_check_sees_a_misspelt_command():
    planted = (DEPLOY / "Procfile").read_text().replace("manage.py db_worker", "manage.py db_workers")
    assert unknown_commands(planted) == ["db_workers"]


def test_every_service_restarts_or_is_a_oneshot_with_a_timer():
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        text = path.read_text()
        assert "ExecStart=" in text, path.name
        if "Type=oneshot" in text:
            assert path.with_suffix(".timer").exists(), path.name
        else:
            assert "Restart=always" in text, path.name
