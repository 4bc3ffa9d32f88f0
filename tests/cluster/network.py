"""The pieces of a small cluster on one machine: network namespaces joined to the host by
veth pairs, app nodes (gunicorn and `flask worker`) inside them, nginx in front.

A node in its own namespace has its own loopback, so 127.0.0.1 there is not the host's,
where PostgreSQL and Redis listen (on 127.0.0.1 only). The host end of each node's veth
pair gets a relay (tests/relay.py) for each of them: the node reaches the database at
10.213.x.1:5432 and Redis at 10.213.x.1:6379, and the relay passes each connection on to
the host's loopback. No firewall rule and no server setting changes, and a killed node's
connections close at once, as over a real network. Where namespaces cannot be made (not
root, no `ip`), every process runs on the host's loopback on ports of its own instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tests.relay import Relay

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv") / "bin"
SUBNET = "10.213"  # 10.213.<x>.0/30 per node: .1 is the host's end, .2 the node's
NODE_PORT = 8000


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def namespaces_possible() -> str:
    """"" when this process may make namespaces and veth pairs, else why not."""
    if os.environ.get("MULTINODE_NAMESPACES") == "0":
        return "MULTINODE_NAMESPACES=0"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    if os.geteuid() != 0:
        return "not root"
    probe = f"ccprobe{os.getpid()}"
    try:
        _ip("netns", "add", probe)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        return f"`ip netns add` failed: {getattr(error, 'stderr', b'')!r}"
    _ip("netns", "del", probe)
    return ""


def _free_subnets(count: int) -> list[int]:
    """`count` values of x whose 10.213.x.0/30 no interface on the host uses yet."""
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True,
                          check=True).stdout
    start = os.getpid() % 200
    free = [x % 250 for x in range(start, start + 250)
            if f" {SUBNET}.{x % 250}." not in used]
    return free[:count]


@dataclass
class Place:
    """Where a node listens, the address it reaches the host's services at (None: their
    own), and how its commands start (inside its namespace, or as they are)."""

    host: str
    port: int
    services_host: str | None = None
    prefix: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def reach(self, host: str) -> str:
        """The address at which this node reaches a service the host has at `host`."""
        return self.services_host or host


def make_places(stack: ExitStack, count: int, *, use_namespaces: bool,
                services: list[tuple[str, int]]) -> list[Place]:
    """One place per node, reaching `services` (host, port) of the host; everything made
    is removed when `stack` closes."""
    if not use_namespaces:
        return [Place("127.0.0.1", free_port()) for _ in range(count)]
    places = []
    for number, x in enumerate(_free_subnets(count), start=1):
        namespace = f"cc{os.getpid()}n{number}"
        host_end, node_end = f"cc{os.getpid()}h{number}", f"cc{os.getpid()}v{number}"
        host_address, node_address = f"{SUBNET}.{x}.1", f"{SUBNET}.{x}.2"
        _ip("netns", "add", namespace)
        stack.callback(_quietly, "netns", "del", namespace)  # takes its end of the pair
        _ip("link", "add", host_end, "type", "veth", "peer", "name", node_end)
        stack.callback(_quietly, "link", "del", host_end)
        _ip("link", "set", node_end, "netns", namespace)
        _ip("addr", "add", f"{host_address}/30", "dev", host_end)
        _ip("link", "set", host_end, "up")
        inside = ["netns", "exec", namespace, "ip"]
        _ip(*inside, "addr", "add", f"{node_address}/30", "dev", node_end)
        _ip(*inside, "link", "set", node_end, "up")
        _ip(*inside, "link", "set", "lo", "up")
        for service_host, port in services:
            relay = Relay(service_host, port, listen=(host_address, port))
            stack.callback(relay.close)
        places.append(Place(node_address, NODE_PORT, host_address,
                            prefix=["ip", "netns", "exec", namespace]))
    return places


def _quietly(*args: str) -> None:
    with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
        _ip(*args)


class Process:
    """A command in a session of its own, so that killing it kills its children too."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """kill -9 of the process and everything it started."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)
        self.popen = None

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Node:
    """One app node: gunicorn with the repo's gunicorn.conf.py and `flask worker` (the
    notifier, the mail sender and this node's own search index), as in production."""

    def __init__(self, name: str, place: Place, directory: Path, env: dict[str, str]) -> None:
        self.name, self.place = name, place
        directory.mkdir(parents=True)
        self.index_dir = directory / "search"
        node_env = {**env, "COCREATE_INSTANCE_DIR": str(directory / "instance"),
                    "SEARCH_INDEX_DIR": str(self.index_dir),
                    "MAIL_DIRECTORY": str(directory / "mail")}
        bind = f"{place.host}:{place.port}"
        self.web = Process([*place.prefix, str(BIN / "gunicorn"), "-c", "gunicorn.conf.py",
                            "-b", bind], node_env, directory / "gunicorn.log")
        self.worker = Process([*place.prefix, str(BIN / "flask"), "--app", "wsgi", "worker"],
                              node_env, directory / "worker.log")

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        self.web.start()
        self.worker.start()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with (contextlib.suppress(OSError, urllib.error.URLError),
                  urllib.request.urlopen(self.place.url + "/healthz",  # noqa: S310 (http://)
                                         timeout=2) as answer):
                if answer.status == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not start:\n{self.logs()}")

    def kill(self) -> None:
        self.web.kill()
        self.worker.kill()

    def logs(self) -> str:
        return f"-- gunicorn\n{self.web.tail()}\n-- worker\n{self.worker.tail()}"


NGINX_CONF = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream cocreate {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://cocreate;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A node that refuses the connection, or fails before the request is sent,
            # is skipped: the request goes to the other. Once a POST has been sent, nginx
            # never sends it again (no "non_idempotent" here): the node may have saved it
            # before dying, and the client gets a 502 instead of a second reply.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def start_nginx(stack: ExitStack, directory: Path, upstreams: list[str], nginx: str) -> str:
    """nginx in the foreground, balancing over `upstreams`; its URL."""
    directory.mkdir(parents=True)
    port = free_port()
    # A failed node is left out for 3 s after one failure, then tried again.
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=3s;"
                        for address in upstreams)
    (directory / "nginx.conf").write_text(NGINX_CONF.format(
        user="user root;" if os.geteuid() == 0 else "", dir=directory, servers=servers,
        port=port))
    process = Process([nginx, "-p", str(directory), "-e", str(directory / "error.log"),
                       "-c", str(directory / "nginx.conf"), "-g", "daemon off;"], dict(os.environ),
                      directory / "stdout.log")
    process.start()
    stack.callback(process.kill)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return url
        time.sleep(0.1)
    raise AssertionError(f"nginx did not start:\n{process.tail()}\n"
                         f"{(directory / 'error.log').read_text(errors='replace')}")
