"""A throwaway PostgreSQL server for tests and local trials: initdb in a temporary directory, loopback only.

It uses the Debian ``postgresql`` binaries (``/usr/lib/postgresql/<version>/bin``
or ``initdb`` on the PATH). PostgreSQL refuses to run as root, so when we are
root the data directory is handed to the ``postgres`` system user and the
server runs as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

_SERVER_USER = "postgres"
_SUPERUSER = "cyberops"


def find_postgres_bin() -> Path | None:
    """The directory holding ``initdb`` and ``postgres``, newest version first; None when not installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key, reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(found)
    for initdb in candidates:
        directory = Path(initdb).parent
        if (directory / "postgres").exists():
            return directory
    return None


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryPostgres:
    """A PostgreSQL server in a temporary directory; ``create_database()`` gives each test its own database.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, bin_dir: Path | None = None, startup_timeout: float = 60.0) -> None:
        found = bin_dir or find_postgres_bin()
        if found is None:
            raise FileNotFoundError("PostgreSQL binaries not found; install them with `apt-get install postgresql`")
        self.bin_dir = found
        self.startup_timeout = startup_timeout
        self.port = 0
        self._root: Path | None = None
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> TemporaryPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def admin_url(self) -> str:
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # Not under pytest's tmp dir: that is private to root, and the server user must reach its data.
        self._root = Path(tempfile.mkdtemp(prefix="cyberops-pg-"))
        data, sockets, log = self._root / "data", self._root / "sockets", self._root / "server.log"
        sockets.mkdir()
        user = self._server_user()
        if user is not None:
            os.chown(self._root, user.pw_uid, user.pw_gid)
            os.chown(sockets, user.pw_uid, user.pw_gid)
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                _SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            user,
        )
        self.port = _free_port()
        with log.open("wb") as log_file:
            self._process = subprocess.Popen(
                [
                    str(self.bin_dir / "postgres"),
                    "-D",
                    str(data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    str(sockets),
                    # A test server: durability is not what is being tested.
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    # Nothing lives long enough to need vacuuming, and a vacuum worker would hold template databases.
                    "-c",
                    "autovacuum=off",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                **self._as_user(user),
            )
        self._wait_ready(log)

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (a database nobody is connected to); returns its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            # SIGINT: "fast" shutdown, which does not wait for clients a test left connected.
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def _wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited at start:\n{log.read_text(errors='replace')}")
            try:
                with psycopg.connect(self.admin_url, connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last_error = exc
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"PostgreSQL did not accept connections in time: {last_error}")

    @staticmethod
    def _server_user() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(_SERVER_USER)
        except KeyError as exc:
            raise RuntimeError("running as root but there is no 'postgres' user to run the server as") from exc

    @staticmethod
    def _as_user(user: pwd.struct_passwd | None) -> dict:
        if user is None:
            return {}
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "cwd": "/"}

    def _run(self, command: list[str], user: pwd.struct_passwd | None) -> None:
        result = subprocess.run(command, capture_output=True, text=True, **self._as_user(user))
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed:\n{result.stdout}\n{result.stderr}")


def empty_tables(url: str) -> None:
    """Delete every row of the store at ``url``, keeping its schema: a clean store for the next test, cheaply."""
    from cyberops.store.engine import create_engine
    from cyberops.store.schema import metadata

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # A connection a failed test left open must not hang the next one: fail after a while instead.
                conn.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
                names = ", ".join(table.name for table in metadata.sorted_tables)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())
    finally:
        engine.dispose()
