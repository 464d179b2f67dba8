"""A throwaway PostgreSQL server for the tests and benchmarks: Debian's ``postgresql`` binaries.

:func:`start_server` runs ``initdb`` into a new temporary folder and starts
``postgres`` listening only on a Unix socket in that folder (no TCP port, so
parallel runs never collide); :meth:`PgServer.stop` stops it and removes the
folder.  ``initdb`` refuses to run as root, so when the tests run as root the
folder is given to the ``postgres`` system user (which Debian's package
creates; ``nobody`` otherwise) and every server command runs as that user via
``runuser``.  Connections use the ``tracker`` role with trust authentication,
which is safe only because the socket lives in a folder no one else can enter.

The binaries are found in ``TRACKER_PG_BINDIR``, else the newest
``/usr/lib/postgresql/<version>/bin``, else ``pg_config --bindir``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

ROLE = "tracker"


class ServerUnavailable(Exception):
    """The server could not be started; the message says why (and what to install)."""


@dataclass
class PgServer:
    """A running server: its folder, the socket folder and the binaries used."""

    root: Path
    bindir: Path
    owner: str | None  # the system user running the server when we are root, else None

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL of ``database`` on this server, through its Unix socket."""
        return f"postgresql://{ROLE}@/{database}?host={quote(str(self.socket_dir), safe='/')}"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` (from ``template0``) and return its URL."""
        self.sql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, closing any connection left open to it."""
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        """Run one statement (autocommit) and return its rows (none for a command)."""
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def stop(self) -> None:
        """Stop the server (fast shutdown, immediate if that hangs) and remove its folder."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _run(self, "pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        if (self.root / "data" / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                _run(self, "pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def find_bindir() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``; ServerUnavailable when none is installed."""
    given = os.environ.get("TRACKER_PG_BINDIR")
    candidates = [Path(given)] if given else []
    base = Path("/usr/lib/postgresql")
    if base.is_dir():
        versions = sorted(
            (p for p in base.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        candidates += [p / "bin" for p in reversed(versions)]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
            candidates.append(Path(out.stdout.strip()))
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise ServerUnavailable(
        "PostgreSQL server binaries not found (initdb, pg_ctl): "
        "apt-get install -y postgresql, or set TRACKER_PG_BINDIR"
    )


def server_owner() -> str | None:
    """The unprivileged user to run the server as when we are root (``None`` when we are not)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServerUnavailable("running as root and neither user postgres nor nobody exists")


def start_server(*, fsync: bool = True) -> PgServer:
    """Initialise and start a server in a new temporary folder; ServerUnavailable says why not.

    ``fsync=False`` is for tests that never survive a power cut (faster on a
    shared disk); the benchmarks keep it on.
    """
    bindir = find_bindir()
    owner = server_owner()
    # a short path under /tmp: a Unix socket path is limited to about 100 bytes
    root = Path(tempfile.mkdtemp(prefix="trk-pg-", dir="/tmp"))
    server = PgServer(root, bindir, owner)
    try:
        if owner is not None:
            entry = pwd.getpwnam(owner)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        _run(server, "initdb", "-D", str(root / "data"), "-U", ROLE, "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{root}' "
            f"-c fsync={'on' if fsync else 'off'} -c max_connections=60 "
            "-c shared_buffers=128MB"
        )
        _run(server, "pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"),
             "-o", options, "-w", "-t", "60", "start")  # fmt: skip
    except (subprocess.SubprocessError, OSError, ServerUnavailable) as exc:
        reason = _explain(exc, root)
        server.stop()
        raise ServerUnavailable(reason) from exc
    atexit.register(server.stop)  # a second stop is harmless; this one covers an aborted run
    return server


def _run(server: PgServer, program: str, *args: str) -> None:
    command = [str(server.bindir / program), *args]
    if server.owner is not None:
        command = ["runuser", "-u", server.owner, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=server.root)
    if result.returncode != 0:
        raise subprocess.SubprocessError(
            f"{program} failed ({result.returncode}): {(result.stderr or result.stdout).strip()}"
        )


def _explain(exc: Exception, root: Path) -> str:
    log = root / "server.log"
    tail = ""
    with contextlib.suppress(OSError):
        tail = " | server log: " + " / ".join(log.read_text().strip().splitlines()[-5:])
    return f"cannot start a PostgreSQL server: {exc}{tail}"
