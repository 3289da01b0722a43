"""A real streaming replica of the test PostgreSQL server, for the replica tests.

`pg_basebackup -R -X stream` copies the primary into a temporary directory and writes the
standby configuration; Debian's `pg_ctl` starts it on a free port as the `postgres` user. The
replica holds every database of the primary, the test database included, and replays the
primary's WAL as it streams in. Replication from 127.0.0.1 is allowed in the primary's
pg_hba.conf (appended once, then reloaded) when it is not already.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
HBA_LINE = "host replication all 127.0.0.1/32 trust  # CreatorCompass test replicas\n"


class ReplicaUnavailable(Exception):
    """This machine cannot run a streaming replica (the reason is the message)."""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command, env=None, timeout=120):
    """Run a PostgreSQL binary (server, pgbouncer) as the `postgres` user: they refuse root.
    `env`: variables added to this process's environment (a server inherits them)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env} if env else None)


def pg_binary(name):
    """The path of a PostgreSQL binary of the newest installed major version."""
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    raise ReplicaUnavailable(f"{name} is not installed (Debian's postgresql package)")


class StreamingReplica:
    def __init__(self, primary):
        """`primary`: a Django settings dict of the primary (HOST, PORT, USER, NAME)."""
        self.primary = primary
        self.port = None
        self.directory = None

    def _primary_dsn(self, dbname="postgres"):
        return f"host={self.primary['HOST']} port={self.primary['PORT']} user={self.primary['USER']} dbname={dbname}"

    def _allow_replication(self):
        with psycopg.connect(self._primary_dsn(), autocommit=True) as conn:
            allowed = conn.execute(
                "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)"
                " AND (address IS NULL OR address = '127.0.0.1')"
            ).fetchone()[0]
            if allowed:
                return
            hba_file = conn.execute("SHOW hba_file").fetchone()[0]
            try:
                with open(hba_file, "a") as hba:
                    hba.write(HBA_LINE)
            except OSError as error:
                raise ReplicaUnavailable(f"cannot allow replication in {hba_file}: {error}") from error
            conn.execute("SELECT pg_reload_conf()")

    def start(self):
        if not shutil.which("runuser") and os.geteuid() == 0:
            raise ReplicaUnavailable("runuser is missing")
        self._allow_replication()
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="cc-replica-")
        shutil.chown(self.directory, "postgres", "postgres")
        os.chmod(self.directory, 0o700)
        as_postgres(
            pg_binary("pg_basebackup"), "-D", self.directory, "-R", "-X", "stream", "--checkpoint=fast",
            "-h", str(self.primary["HOST"]), "-p", str(self.primary["PORT"]), "-U", self.primary["USER"],
        )
        # Debian keeps a cluster's configuration in /etc/postgresql, so the copy has none of its own.
        config = Path(self.directory)
        (config / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.directory}'\n"
            "hot_standby = on\nhot_standby_feedback = on\n"
        )
        (config / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (config / "pg_ident.conf").write_text("")
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(config / name, "postgres", "postgres")
        self._server("start")
        return self

    def _server(self, action):
        arguments = ["-D", self.directory, "-w", "-t", "60"]
        if action == "start":
            arguments += ["-l", f"{self.directory}/server.log"]
        else:
            arguments += ["-m", "fast"]
        as_postgres(pg_binary("pg_ctl"), action, *arguments)

    def stop(self):
        self._server("stop")

    def restart(self):
        self._server("start")

    def destroy(self):
        if self.directory:
            try:
                self.stop()
            except subprocess.CalledProcessError:
                pass  # already stopped
            shutil.rmtree(self.directory, ignore_errors=True)

    def connect(self, dbname="postgres"):
        return psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.primary['USER']} dbname={dbname}", autocommit=True)

    def pause_replay(self):
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self):
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def catch_up(self, timeout=30):
        """Wait until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self._primary_dsn(), autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.connect() as conn:
            while time.monotonic() < deadline:
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                    return
                time.sleep(0.05)
        raise TimeoutError("the replica did not catch up")
