"""A TCP relay on loopback between an app and its database server, which a test cuts
and restores: to the app it looks like the server went away (a restart, a network
partition) and came back, while the server itself and the other tests go on."""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """Forwards every connection to `target`; `cut()` closes them all and refuses new
    ones until `restore()`."""

    def __init__(self, host: str, port: int, *, listen: tuple[str, int] = ("127.0.0.1", 0)
                 ) -> None:
        self.target = (host, port)
        self._listener = socket.create_server(listen)
        self.port = int(self._listener.getsockname()[1])
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._accepting = threading.Thread(target=self._accept, name="relay", daemon=True)
        self._accepting.start()

    def cut(self) -> None:
        """Close every relayed connection and refuse new ones."""
        self._open.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.cut()
        _close(self._listener)  # shutting a listener down wakes the accept() waiting on it
        self._accepting.join(5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                if not self._open.is_set():
                    raise ConnectionRefusedError("the relay is cut")
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # cut, or the other side went away
        finally:
            with self._lock:
                self._sockets.difference_update((source, sink))
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed, or never connected
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
