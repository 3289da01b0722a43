"""The backup configuration in deploy/ agrees with itself: encrypted, retained, one stanza name,
archiving on, and no passphrase in a file."""

import configparser
import re

from core.testing.pitr import ARCHIVING_CONF, PGBACKREST_CONF, STANZA, archiving_settings
from core.tests.test_deploy_units import DEPLOY


def backup_problems(pgbackrest_text, archiving, units):
    """What is wrong with a pgBackRest file, the archiving lines ({name: value}) and the backup
    units' texts; [] when nothing is."""
    config = configparser.ConfigParser()
    config.read_string(pgbackrest_text)
    problems = []
    if config.get("global", "repo1-cipher-type", fallback="none") != "aes-256-cbc":
        problems.append("the repository is not encrypted")
    if config.has_option("global", "repo1-cipher-pass"):
        problems.append("the passphrase is in the file")
    if not config.get("global", "repo1-retention-full", fallback=""):
        problems.append("no retention")
    if not config.has_section(STANZA):
        problems.append(f"no [{STANZA}] stanza")
    archive_command = archiving.get("archive_command", "")
    if archiving.get("archive_mode") != "on" or f"--stanza={STANZA} archive-push" not in archive_command:
        problems.append("WAL is not archived into the stanza")
    if not 0 < int(archiving.get("archive_timeout", "0")) <= 300:
        problems.append("archive_timeout does not bound the RPO")
    for name, text in units.items():
        passphrase = "EnvironmentFile=/etc/pgbackrest/cipher.env" in text
        if set(re.findall(r"--stanza=(\S+)", text)) != {STANZA} or not passphrase:
            problems.append(f"{name} backs up another stanza or without the passphrase")
    return problems


def _units():
    return {path.name: path.read_text() for path in (DEPLOY / "systemd").glob("pgbackrest-backup-*.service")}


def test_the_backup_configuration_is_encrypted_retained_and_archives_into_one_stanza():
    assert set(_units()) == {"pgbackrest-backup-full.service", "pgbackrest-backup-diff.service"}
    assert backup_problems(PGBACKREST_CONF.read_text(), archiving_settings(), _units()) == []
    assert ARCHIVING_CONF.exists()


def test_the_check_sees_each_planted_mistake():
    text, archiving, units = PGBACKREST_CONF.read_text(), archiving_settings(), _units()
    assert backup_problems(text.replace("repo1-cipher-type=aes-256-cbc\n", ""), archiving, units) == [
        "the repository is not encrypted"]
    assert backup_problems(text.replace("[global]\n", "[global]\nrepo1-cipher-pass=hunter2\n"), archiving, units) == [
        "the passphrase is in the file"]
    assert backup_problems(text, {**archiving, "archive_mode": "off"}, units) == ["WAL is not archived into the stanza"]
    assert backup_problems(text, {**archiving, "archive_timeout": "0"}, units) == [
        "archive_timeout does not bound the RPO"]
    wrong = {name: body.replace("--stanza=creatorcompass", "--stanza=main") for name, body in units.items()}
    assert len(backup_problems(text, archiving, wrong)) == 2
