"""Real Redis and PostgreSQL servers for the tests, on free loopback ports.

Started from the binaries of Debian's redis-server and postgresql packages
(`make test` installs them when missing: tests/install-servers.sh). Without them a test skips and says
why; under CI it fails instead, since CI must run every test.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

__all__ = [
    "PostgresServer",
    "RedisServer",
    "ServerExited",
    "free_port",
    "need_binary",
    "start_on_a_free_port",
]

# Tries at starting a server on a free port (see start_on_a_free_port).
PORT_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def need_binary(name: str, *patterns: str) -> str:
    """The path of program `name` (on PATH or at one of `patterns`); skips the test
    when it is missing, or fails it under CI."""
    found = shutil.which(name) or next(
        (str(hit) for pattern in patterns for hit in sorted(Path("/").glob(pattern.lstrip("/")))),
        None,
    )
    if found is None:
        message = f"{name} is not installed (Debian: apt-get install redis-server postgresql)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run this test")
        pytest.skip(message)
    return found


class ServerExited(RuntimeError):
    """A server ended before it listened."""


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerExited(f"{what} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


def start_on_a_free_port(
    launch: Callable[[int], subprocess.Popen[bytes]],
    wait: Callable[[int, subprocess.Popen[bytes]], None],
) -> tuple[int, subprocess.Popen[bytes]]:
    """(port, process) of a server started by `launch(port)` and found ready by
    `wait(port, process)`, which raises ServerExited if it ended first. Another port
    is tried then: the tests run in parallel (pytest-xdist), and between
    free_port() and the server's bind another test's process may take the port."""
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        process = launch(port)
        try:
            wait(port, process)
            return port, process
        except ServerExited:
            if attempt == PORT_ATTEMPTS - 1:
                raise
        except BaseException:  # it did not become ready: leave no server behind
            process.kill()
            process.wait(10)
            raise
    raise AssertionError("unreachable")


class RedisServer:
    """redis-server on 127.0.0.1, with a password; no persistence, unless `persistent`
    (an append-only file, each write synced), which `restart` keeps."""

    password = "test-secret"

    def __init__(self, persistent: bool = False) -> None:
        binary = need_binary("redis-server")
        self.dir = Path(tempfile.mkdtemp(prefix="newscrawl-redis-"))
        appendonly = ["--appendonly", "yes", "--appendfsync", "always"] if persistent else [
            "--appendonly", "no"
        ]  # fmt: skip

        def launch(port: int) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [
                    binary, "--port", str(port), "--bind", "127.0.0.1",
                    "--requirepass", self.password, "--save", "", *appendonly,
                    "--dir", str(self.dir), "--loglevel", "warning",
                ],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip

        self._launch = launch
        self.port, self.process = start_on_a_free_port(
            launch, lambda port, process: _wait_for_port(port, process, "redis-server")
        )

    def restart(self, down: float) -> None:
        """Stop the server (as a restart does: it saves what it persists), wait
        `down` seconds, start it again on its port."""
        self.process.terminate()
        self.process.wait(10)
        time.sleep(down)
        self.start_again()

    def start_again(self) -> None:
        """Start it again on its port after it ended, with what it saved in its
        folder (SHUTDOWN SAVE saves though it runs without persistence)."""
        self.process = self._launch(self.port)
        _wait_for_port(self.port, self.process, "redis-server")

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    """A PostgreSQL cluster made by initdb in a temporary folder, served on 127.0.0.1.

    PostgreSQL refuses to run as root: as root, the cluster belongs to the
    `postgres` user that Debian's package creates, and runs as it.
    """

    password = "test-secret"

    def __init__(self) -> None:
        initdb = need_binary("initdb", "/usr/lib/postgresql/*/bin/initdb")
        bin_dir = Path(initdb).resolve().parent
        self.dir = Path(tempfile.mkdtemp(prefix="newscrawl-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        secret = self.dir / "pwfile"
        secret.write_text(self.password)
        if self.as_user:
            os.chown(secret, pwd.getpwnam("postgres").pw_uid, -1)
        data = self.dir / "data"
        subprocess.run(
            [*self.as_user, str(initdb), "-D", str(data), "-U", "newscrawl", "--pwfile",
             str(secret), "--auth", "scram-sha-256", "--locale", "C", "--encoding", "UTF8"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

        def launch(port: int) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [*self.as_user, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                 "-c", "fsync=off", "-c", "max_connections=50"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        self.port, self.process = start_on_a_free_port(
            launch, lambda port, process: _wait_for_port(port, process, "postgres")
        )
        self._databases = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://newscrawl:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"test{self._databases}"
        deadline = time.monotonic() + 30
        while True:  # the server listens a moment before it accepts logins
            try:
                with psycopg.connect(self.url(), autocommit=True) as connection:
                    connection.execute(f"CREATE DATABASE {name}".encode())
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.stop()
