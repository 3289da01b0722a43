"""deploy/prometheus/ checked by the real tools (Debian's `prometheus` package: promtool), and a
broken rule planted in a copy to show each check fails on it."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian: apt-get install prometheus); .ci/run requires it"
)


def promtool(*args, cwd=DEPLOY):
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def _alerts(rules_file):
    return [rule["alert"] for group in yaml.safe_load(rules_file.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule]


@needs_promtool
def test_the_config_and_rules_pass_promtool_and_every_alert_test_passes():
    config = promtool("check", "config", "prometheus.yml")
    rules = promtool("check", "rules", "rules/recording.yml", "rules/alerts.yml")
    unit = promtool("test", "rules", "tests/alerts_test.yml")

    assert config.returncode == 0, config.stdout + config.stderr
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert unit.returncode == 0 and "SUCCESS" in unit.stdout, unit.stdout + unit.stderr


def test_every_alert_has_a_unit_test_that_fires_it_and_one_that_does_not():
    tests = yaml.safe_load((DEPLOY / "tests" / "alerts_test.yml").read_text())["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    firing = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}

    alerts = set(_alerts(DEPLOY / "rules" / "alerts.yml"))

    assert len(alerts) == 12 and firing == alerts and quiet == alerts


def test_every_alert_is_explained_in_the_operations_guide():
    guide = (DEPLOY.parents[1] / "docs" / "operations.md").read_text()
    section = guide.split("### Alerts", 1)[1].split("\n## ", 1)[0]

    missing = [name for name in _alerts(DEPLOY / "rules" / "alerts.yml") if f"`{name}`" not in section]

    assert not missing


@pytest.fixture
def planted(tmp_path):
    """A copy of deploy/prometheus/ to break."""
    copy = tmp_path / "prometheus"
    shutil.copytree(DEPLOY, copy)
    return copy


@needs_promtool
def test_a_rule_that_does_not_parse_fails_check_rules(planted):
    alerts = planted / "rules" / "alerts.yml"
    alerts.write_text(alerts.read_text().replace("> 1\n", "> > 1\n", 1))

    result = promtool("check", "rules", "rules/alerts.yml", cwd=planted)

    assert result.returncode != 0 and "parse error" in (result.stdout + result.stderr)


@needs_promtool
def test_a_misspelt_metric_in_a_rule_fails_its_unit_test(planted):
    recording = planted / "rules" / "recording.yml"
    recording.write_text(recording.read_text().replace(
        "rate(creatorcompass_transaction_seconds_bucket[5m])))\n      - record: service_cause",
        "rate(creatorcompass_transaction_second_bucket[5m])))\n      - record: service_cause"))

    check = promtool("check", "rules", "rules/recording.yml", cwd=planted)
    unit = promtool("test", "rules", "tests/alerts_test.yml", cwd=planted)

    assert check.returncode == 0  # it parses: only the unit test can see it
    assert unit.returncode != 0 and "CreatorCompassSlowTransactions" in unit.stdout + unit.stderr


@needs_promtool
def test_a_threshold_moved_fails_its_unit_test(planted):
    alerts = planted / "rules" / "alerts.yml"
    alerts.write_text(re.sub(r"creatorcompass_jobs_oldest_queued_age_seconds\) > 300",
                             "creatorcompass_jobs_oldest_queued_age_seconds) > 3000", alerts.read_text()))

    unit = promtool("test", "rules", "tests/alerts_test.yml", cwd=planted)

    assert unit.returncode != 0 and "CreatorCompassJobBacklog" in unit.stdout + unit.stderr


@needs_promtool
def test_a_config_naming_a_missing_rule_file_fails_check_config(planted):
    config = planted / "prometheus.yml"
    config.write_text(config.read_text().replace("rules/alerts.yml", "rules/alert.yml"))

    result = promtool("check", "config", "prometheus.yml", cwd=planted)

    assert result.returncode != 0
