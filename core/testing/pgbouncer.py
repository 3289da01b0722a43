"""PgBouncer in transaction pooling mode in front of a PostgreSQL server, for CI and the benches.

    .venv/bin/python -m core.testing.pgbouncer start --dir DIR [--upstream postgres://postgres@127.0.0.1:5432]
    .venv/bin/python -m core.testing.pgbouncer stop --dir DIR

`start` writes DIR/pgbouncer.ini from deploy/pgbouncer/pgbouncer.ini (the production file: the
pool mode, the pool size and the timeouts every server connection gets in `connect_query`),
starts Debian's pgbouncer as a daemon and prints the port it listens on. Every database of the
upstream server is reachable through it under its own name.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from core.testing.replica import as_postgres, free_port

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy/pgbouncer/pgbouncer.ini"


class PgBouncer:
    def __init__(self, directory, upstream="postgres://postgres@127.0.0.1:5432", pool_size=20, max_clients=2000,
                 server_socket_dir=None):
        """`server_socket_dir`: reach PostgreSQL through its Unix socket in that directory (a
        pooler on the database's host) instead of TCP to the upstream's host."""
        self.server_socket_dir = server_socket_dir
        self.directory = Path(directory)
        self.upstream = urlsplit(upstream)
        self.pool_size = pool_size
        self.max_clients = max_clients
        self.port = None

    @property
    def config(self):
        return self.directory / "pgbouncer.ini"

    def url(self, dbname):
        return f"postgres://{self.upstream.username}@127.0.0.1:{self.port}/{dbname}"

    def start(self, config_edit=None):
        """`config_edit`: a function of the config text, for tests that plant a wrong pool."""
        if not shutil.which("pgbouncer"):
            raise FileNotFoundError("pgbouncer is not installed (Debian's pgbouncer package)")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        (self.directory / "userlist.txt").write_text(f'"{self.upstream.username}" ""\n')
        config = (
            TEMPLATE.read_text()
            .replace("listen_port = 6432", f"listen_port = {self.port}")
            .replace("default_pool_size = 20", f"default_pool_size = {self.pool_size}")
            .replace("max_client_conn = 2000", f"max_client_conn = {self.max_clients}")
            .replace("/etc/pgbouncer/userlist.txt", str(self.directory / "userlist.txt"))
            .replace("/var/run/postgresql", str(self.directory))  # the socket and the pidfile
            .replace("/var/log/postgresql/pgbouncer.log", str(self.directory / "pgbouncer.log"))
            .replace("host=127.0.0.1 port=5432",
                     f"host={self.server_socket_dir or self.upstream.hostname} port={self.upstream.port or 5432}")
        )
        self.config.write_text(config_edit(config) if config_edit else config)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            for path in self.directory.iterdir():
                shutil.chown(path, "postgres", "postgres")
        # Each client is a file descriptor; runuser starts with the login default of 1024.
        descriptors = self.max_clients + 2 * self.pool_size + 100
        as_postgres("sh", "-c", f'ulimit -n {descriptors} && exec pgbouncer -d "$0"', str(self.config))
        deadline = time.monotonic() + 15
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self):
        pidfile = self.directory / "pgbouncer.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            subprocess.run(["kill", "-INT", str(pid)], check=False)
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--upstream", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--pool-size", type=int, default=20)
    args = parser.parse_args()
    bouncer = PgBouncer(args.dir, args.upstream, args.pool_size)
    if args.action == "start":
        print(bouncer.start().port)
    else:
        bouncer.stop()


if __name__ == "__main__":
    sys.exit(main())
