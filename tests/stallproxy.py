"""A TCP relay on 127.0.0.1 that can stop relaying: a database host that hangs.

A server whose host hangs or whose network path drops keeps its connections
open and answers nothing. Stopping a real server (SIGSTOP) would be the same,
but the tests share one PostgreSQL server; this relay sits between one crawl and
the server instead, and `stall()` makes it hold every byte both ways from then
on, with each connection still open; `cut()` closes them all instead.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

__all__ = ["StallingRelay", "stalling_relay"]


class StallingRelay:
    """Relays connections to 127.0.0.1:`port` until `stall()` (see the module)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stalled = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        """Hold every byte from now on, both ways; connections stay open."""
        self.stalled.set()

    def cut(self) -> None:
        """Close every connection: a server that went away (killed, restarted)."""
        self.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, server]
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        other = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(server, selectors.EVENT_READ)
            while not self.closed.is_set():
                if self.stalled.is_set():
                    self.closed.wait(0.5)  # read nothing: the peer's bytes wait in its socket
                    continue
                for key, _ in selector.select(0.2):
                    with contextlib.suppress(OSError):
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            return
                        other[key.fileobj].sendall(data)  # type: ignore[index]

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        for each in self.sockets:
            with contextlib.suppress(OSError):
                each.close()


@pytest.fixture()
def stalling_relay() -> Iterator[Callable[[int], StallingRelay]]:
    """`stalling_relay(port)`: a StallingRelay, closed after the test."""
    relays: list[StallingRelay] = []

    def make(port: int) -> StallingRelay:
        relays.append(StallingRelay(port))
        return relays[-1]

    yield make
    for relay in relays:
        relay.close()
