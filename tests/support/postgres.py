"""A private PostgreSQL cluster for the tests: initdb in a temporary folder, 127.0.0.1 only.

``Cluster.start()`` finds Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, else
``initdb`` on PATH), creates a cluster whose superuser ``callscript_owner`` logs in with a
password (scram-sha-256 over TCP; no Unix socket), and starts it on a free port. PostgreSQL
refuses to run as root: as root, the cluster belongs to the ``postgres`` user that the Debian
package creates (the folder is handed to it). Each pytest-xdist worker starts its own cluster, so
workers never share a port or a database.

Passwords are given the way the product expects: a 0600 pgpass file named by ``PGPASSFILE``
(``Cluster.environ()``); the URLs never hold one.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.environment import environment

OWNER = "callscript_owner"
OWNER_PASSWORD = "owner-secret-0"
INSTALL_HINT = "install the server: apt-get install postgresql (scripts/setup does)"


def server_bin() -> Path | None:
    """The folder with initdb/pg_ctl/postgres: Debian's newest version, else the one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """One running cluster; ``url(user, db)`` gives an address without a password."""

    def __init__(self, root: Path, bindir: Path, port: int, run_as: str | None) -> None:
        self.root, self.bindir, self.port, self.run_as = root, bindir, port, run_as
        self.data = root / "data"
        self.passfile = root / "pgpass"
        self._passwords: dict[str, str] = {OWNER: OWNER_PASSWORD}

    # -- running the server binaries ----------------------------------------------------------

    def _cmd(self, *args: str) -> list[str]:
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, cwd="/", check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:1])} failed: {done.stdout}{done.stderr}\n{self.log_tail()}")

    @classmethod
    def start(cls) -> Cluster:
        bindir = server_bin()
        if bindir is None:
            raise FileNotFoundError(INSTALL_HINT)
        run_as = None
        if os.geteuid() == 0:
            run_as = "postgres"
            pwd.getpwnam(run_as)  # KeyError when the Debian package did not create it
        root = Path(tempfile.mkdtemp(prefix="callscript-pg-"))
        root.chmod(0o755)
        if run_as:
            entry = pwd.getpwnam(run_as)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(root, bindir, free_port(), run_as)
        pwfile = root / "pw"
        pwfile.write_text(OWNER_PASSWORD + "\n")
        if run_as:
            os.chown(pwfile, pwd.getpwnam(run_as).pw_uid, -1)
        pwfile.chmod(0o600)
        cluster._run(str(bindir / "initdb"), "-D", str(cluster.data), "-U", OWNER, f"--pwfile={pwfile}",
                     "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        pwfile.unlink()
        # fsync off: the tests never crash the machine, only the server (an immediate stop), and the
        # operating system keeps what was written. Commits stay synchronous: a commit the client
        # saw must survive a server crash, as the shipping tests check.
        with open(cluster.data / "postgresql.conf", "a") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\n"
                       "full_page_writes = off\nmax_connections = 40\n")
        (cluster.data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 scram-sha-256\n")
        cluster._write_passfile()
        for attempt in range(3):
            try:
                cluster._run(str(bindir / "pg_ctl"), "-D", str(cluster.data), "-l", str(root / "server.log"),
                             "-o", f"-p {cluster.port}", "-w", "-t", "30", "start")
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                cluster.port = free_port()  # another worker took the port between probe and start
        return cluster

    def log_tail(self) -> str:
        try:
            return "\n".join((self.root / "server.log").read_text().splitlines()[-20:])
        except OSError:
            return "(no server log)"

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: clean; ``immediate``: as if killed)."""
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"),
                       capture_output=True, check=False, cwd="/")

    def running(self) -> bool:
        status = subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"),
                                capture_output=True, check=False, cwd="/")
        return status.returncode == 0

    def resume(self) -> None:
        """Start the server again after ``stop`` (no-op when it runs)."""
        if self.running():
            return
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", f"-p {self.port}", "-w", "-t", "30", "start")

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash or a pulled cable would end it."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 9)
        time.sleep(0.3)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- logins --------------------------------------------------------------------------------

    def _write_passfile(self) -> None:
        lines = [f"127.0.0.1:{self.port}:*:{user}:{password}" for user, password in self._passwords.items()]
        self.passfile.write_text("\n".join(lines) + "\n")
        self.passfile.chmod(0o600)

    def set_password(self, role: str, password: str, *, in_passfile: bool = True) -> None:
        """Give ``role`` a password on the server (as the owner) and, normally, in the pgpass file."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True, passfile=str(self.passfile)) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        if in_passfile:
            self._passwords[role] = password
            self._write_passfile()

    def url(self, user: str = OWNER, db: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, passfile=str(self.passfile)) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def environ(self) -> dict[str, str]:
        return {"PGPASSFILE": str(self.passfile), "PGCONNECT_TIMEOUT": "5"}

    @contextmanager
    def applied(self) -> Iterator[Cluster]:
        """``PGPASSFILE`` set for the duration (libpq reads it at each connect)."""
        with environment(self.environ()):
            yield self
