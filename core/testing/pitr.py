"""Throwaway PostgreSQL clusters archiving into a throwaway pgBackRest repository: the restore drill.

The machine's own cluster is never reconfigured. A drill initdb's its own primary in a temporary
directory on a free port, configured with the production archiving lines
(deploy/postgresql/archiving.conf) and the production pgBackRest file
(deploy/pgbackrest/pgbackrest.conf, encrypted with a passphrase passed in the environment), with
their paths moved into that directory. A restore goes into another directory and starts as another
cluster on another port; `destroy()` stops every cluster and deletes the directory.

    drill = Drill().start()                      # primary + stanza
    drill.primary_load(source_url, "app")        # a copy of a database (pg_dump | pg_restore)
    drill.repository.backup("full")
    ...                                          # write, note a target time, write
    restored = drill.restore(target_time=...)    # a running cluster, promoted at the target
    drill.destroy()
"""

import datetime
import json
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from core.testing.replica import as_postgres, free_port, pg_binary

ROOT = Path(__file__).resolve().parents[2]
PGBACKREST_CONF = ROOT / "deploy/pgbackrest/pgbackrest.conf"
ARCHIVING_CONF = ROOT / "deploy/postgresql/archiving.conf"
STANZA = "creatorcompass"
CIPHER_ENV = "PGBACKREST_REPO1_CIPHER_PASS"


def archiving_settings():
    """{name: value} of the production archiving lines (values as written, quotes removed)."""
    found = {}
    for line in ARCHIVING_CONF.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, value = (part.strip() for part in line.split("=", 1))
            found[name] = value.strip("'")
    return found


def _own(path):
    """Hand `path` (a directory and what is in it) to the postgres user."""
    for item in [path, *Path(path).rglob("*")]:
        shutil.chown(item, "postgres", "postgres")


class Cluster:
    """A PostgreSQL server in its own directory, on its own port, run as the postgres user."""

    def __init__(self, directory, *, env):
        self.directory = Path(directory)
        self.env = env
        self.port = None

    def configure(self, settings):
        """Append `settings` ({name: value}) to postgresql.conf; a later line wins."""
        self.port = free_port()
        lines = {"port": self.port, "listen_addresses": "'127.0.0.1'",
                 "unix_socket_directories": f"'{self.directory}'", **settings}
        with open(self.directory / "postgresql.conf", "a") as conf:
            conf.write("\n# the restore drill\n" + "".join(f"{name} = {value}\n" for name, value in lines.items()))

    def start(self, timeout=180):
        as_postgres(pg_binary("pg_ctl"), "start", "-D", str(self.directory), "-w", "-t", str(timeout),
                    "-l", str(self.directory / "server.log"), env=self.env, timeout=timeout + 30)
        return self

    def stop(self, mode="fast"):
        as_postgres(pg_binary("pg_ctl"), "stop", "-D", str(self.directory), "-m", mode, "-w", "-t", "120",
                    env=self.env, timeout=150)

    def running(self):
        return (self.directory / "postmaster.pid").exists()

    def url(self, dbname="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname="postgres"):
        return psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=10)

    def wait_promoted(self, timeout=180):
        """Wait until recovery has ended (the target reached and the cluster promoted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.connect() as conn:
                if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"the restored cluster is still in recovery after {timeout} s")


class Repository:
    """A pgBackRest repository and stanza for one primary, configured from the production file."""

    def __init__(self, directory, *, primary, cipher_pass):
        self.directory = Path(directory)
        self.primary = primary
        self.env = {CIPHER_ENV: cipher_pass}
        self.config = self.directory / "pgbackrest.conf"

    def write_config(self):
        text = PGBACKREST_CONF.read_text()
        for production, here in (
            ("/srv/backup/pgbackrest", self.directory / "repo"),
            ("/var/log/pgbackrest", self.directory / "log"),
            ("/tmp/pgbackrest", self.directory / "lock"),
            ("/var/lib/postgresql/15/main", self.primary.directory),
            ("pg1-port=5432", f"pg1-port={self.primary.port}"),
            ("/var/run/postgresql", self.primary.directory),
        ):
            text = text.replace(str(production), str(here))
        self.config.write_text(text)
        for sub in ("repo", "log", "lock"):
            (self.directory / sub).mkdir(exist_ok=True)

    @property
    def archive_command(self):
        return f"'pgbackrest --config={self.config} --stanza={STANZA} archive-push %p'"

    def run(self, *arguments, timeout=600):
        return as_postgres("pgbackrest", f"--config={self.config}", f"--stanza={STANZA}", *arguments,
                           env=self.env, timeout=timeout).stdout

    def backup(self, kind="full"):
        """A backup of `kind` (full, diff, incr); returns its label."""
        self.run("backup", f"--type={kind}")
        return self.info()["backup"][-1]["label"]

    def check(self):
        """Switch to a new WAL segment and wait until it is in the repository (everything committed
        so far is archived when this returns)."""
        self.run("check")

    def info(self):
        return json.loads(self.run("info", "--output=json"))[0]


class Drill:
    """A primary archiving into a repository, and the clusters restored from it, in one directory."""

    def __init__(self, base=None):
        self.directory = Path(tempfile.mkdtemp(prefix="cc-drill-", dir=base))
        self.env = {CIPHER_ENV: secrets.token_urlsafe(32)}
        self.primary = None
        self.repository = None
        self.restored = []

    def start(self, archive_timeout=None):
        """initdb and start the primary with the production archiving lines, create the stanza.
        `archive_timeout`: seconds, instead of the production value (the CI drill's own writes
        are made durable in the repository by `check()`, not by the timeout)."""
        (self.directory / "primary").mkdir()
        _own(self.directory)
        self.primary = Cluster(self.directory / "primary", env=self.env)
        as_postgres(pg_binary("initdb"), "-D", str(self.primary.directory), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self.repository = Repository(self.directory / "backup", primary=self.primary, cipher_pass=self.env[CIPHER_ENV])
        settings = archiving_settings()
        settings.update(archive_command=self.repository.archive_command, shared_buffers="'64MB'",
                        fsync="off", full_page_writes="on", max_wal_size="'256MB'")
        if archive_timeout is not None:
            settings["archive_timeout"] = archive_timeout
        self.primary.configure(settings)
        (self.directory / "backup").mkdir()
        self.repository.write_config()
        _own(self.directory)
        self.primary.start()
        self.repository.run("stanza-create")
        return self

    def primary_load(self, source_url, dbname):
        """Copy the database at `source_url` (schema and rows) into a new database `dbname` of the
        primary: the test database, migrated, becomes the drill's application database."""
        source = urlsplit(source_url)
        dump = self.directory / "source.dump"
        subprocess.run([pg_binary("pg_dump"), "-Fc", "-h", source.hostname, "-p", str(source.port or 5432),
                        "-U", source.username or "postgres", "-d", source.path.lstrip("/"), "-f", str(dump)],
                       check=True, capture_output=True, timeout=300)
        with self.primary.connect() as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        subprocess.run([pg_binary("pg_restore"), "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                        "-d", dbname, "--no-owner", str(dump)], check=True, capture_output=True, timeout=300)
        dump.unlink()

    def restore(self, *, target_time=None):
        """Restore the repository into a new cluster and start it: to `target_time` (an aware
        datetime; promoted there) or, without one, to the end of the archive. Returns the running
        cluster, out of recovery."""
        cluster = Cluster(self.directory / f"restored-{len(self.restored) + 1}", env=self.env)
        cluster.directory.mkdir(mode=0o700)
        _own(cluster.directory)
        # pgBackRest reads "YYYY-MM-DD HH:MM:SS.ffffff+00" (not ISO 8601's "T" and "+00:00").
        when = target_time and target_time.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00")
        target = ["--type=time", f"--target={when}", "--target-action=promote"] if target_time else []
        self.repository.run("restore", f"--pg1-path={cluster.directory}", *target)
        # Beside the primary it was restored from: its own port, and no archiving into the
        # primary's stanza (a real restore that becomes the primary archives on: see docs/backups.md).
        cluster.configure({"archive_mode": "off"})
        self.restored.append(cluster)
        cluster.start()
        cluster.wait_promoted()
        return cluster

    def destroy(self):
        for cluster in [*self.restored, self.primary]:
            if cluster is not None and cluster.running():
                try:
                    cluster.stop("immediate")
                except subprocess.CalledProcessError:
                    pass  # already down
        shutil.rmtree(self.directory, ignore_errors=True)
