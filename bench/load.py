"""Serving and loading: gunicorn in its own process group, wrk (or a Python client) as the
load generator in another, and each worker's peak memory read from /proc."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from shared import ROOT, venv_bin

WRK_MARK = "RESULT "


@dataclass
class Target:
    """One thing to measure: a page, or a POST cycling through several paths and bodies."""

    name: str
    paths: list[str]
    method: str = "GET"
    group: str = "anonymous"  # anonymous | signed-in | search | ceiling
    bodies: list[str] = field(default_factory=list)  # "%d" becomes a request counter
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Measurement:
    concurrency: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # connection errors, timeouts and responses other than 2xx/3xx

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class Server:
    """`gunicorn -c gunicorn.conf.py <app>` with a fixed worker setup, given as flags that
    override the file's; the same command serves app and hello."""

    app: str
    chdir: Path
    env: dict[str, str]
    health: str = "/"
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1
    keepalive: int | None = None  # None: gunicorn.conf.py's
    config: Path | None = ROOT / "gunicorn.conf.py"
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        command = [venv_bin("gunicorn")]
        if self.config is not None:
            command += ["--config", str(self.config)]
        # No control socket: it is one path per user, and benchmarks run side by side.
        command += ["--workers", str(self.workers), "--worker-class", self.worker_class,
                    "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--backlog",
                    "2048", "--log-level", "warning", "--no-control-socket",
                    "--chdir", str(self.chdir)]
        # Always: gunicorn runs "sync" with threads > 1 (the file's, say) as gthread.
        command += ["--threads", str(self.threads)]
        if self.keepalive is not None:
            command += ["--keep-alive", str(self.keepalive)]
        return [*command, self.app]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + self.health, timeout=5) as answer:  # noqa: S310
                    if answer.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer on {self.base}; see {self.log}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def peak_rss_mb(self) -> dict[int, float]:
        """VmHWM (peak resident set) of each worker, in MB."""
        peaks = {}
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) / 1024
        return peaks

    def rss_mb(self) -> dict[int, float]:
        """VmRSS (resident set now) of each worker, in MB."""
        now = {}
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    now[pid] = int(line.split()[1]) / 1024
        return now

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lua_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def lua_table(values: list[str]) -> str:
    return "{" + ", ".join(lua_string(v) for v in values) + "}"


WRK_SCRIPT = """
local paths = %(paths)s
local bodies = %(bodies)s
local headers = {%(headers)s}
local counter = 0
local offset = 0
local threads = 0
setup = function(thread) thread:set("offset", threads * 7919); threads = threads + 1 end
request = function()
  counter = counter + 1
  local step = counter + offset
  -- with bodies, each path gets every body in turn (cast then retract the same idea)
  local path = paths[(math.floor(step / math.max(#bodies, 1)) %% #paths) + 1]
  local body = nil
  if #bodies > 0 then body = string.format(bodies[(step %% #bodies) + 1], step) end
  return wrk.format(%(method)s, path, headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "errors": %%d, "p50": %%d, "p95": %%d, '
    .. '"p99": %%d, "max": %%d}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def wrk_script(target: Target) -> str:
    headers = dict(target.headers)
    if target.method == "POST":
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    return WRK_SCRIPT % {
        "paths": lua_table(target.paths), "bodies": lua_table(target.bodies),
        "headers": ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
        "method": lua_string(target.method), "mark": WRK_MARK,
    }


def run_wrk(base: str, target: Target, concurrency: int, seconds: float) -> Measurement:
    """One wrk thread (it is C and epoll: one keeps up, and leaves the CPUs to gunicorn)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(target))
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
               "--timeout", "60s", "-s", script.name, base + target.paths[0]]
    try:
        finished = subprocess.run(command, capture_output=True, text=True,  # noqa: S603
                                  check=False, timeout=seconds + 120)
    finally:
        Path(script.name).unlink()
    if finished.returncode != 0 or WRK_MARK not in finished.stdout:
        raise RuntimeError(f"wrk failed: {finished.stdout}{finished.stderr}")
    line = next(x for x in finished.stdout.splitlines() if x.startswith(WRK_MARK))
    raw = json.loads(line.removeprefix(WRK_MARK))
    elapsed = raw["duration_us"] / 1e6
    return Measurement(concurrency, raw["requests"], elapsed, raw["requests"] / elapsed,
                       raw["p50"] / 1000, raw["p95"] / 1000, raw["p99"] / 1000,
                       raw["max"] / 1000, raw["errors"])


def run_python(base: str, target: Target, concurrency: int, seconds: float) -> Measurement:
    """The fallback without wrk: threads with http.client (slower; the GIL caps it)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset: int) -> None:
        step, mine = offset * 7919, []
        while time.monotonic() < deadline:
            step += 1
            per = max(len(target.bodies), 1)
            path = target.paths[(step // per) % len(target.paths)]
            body = (target.bodies[step % per].replace("%d", str(step)) if target.bodies
                    else None)
            headers = dict(target.headers)
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
                connection.request(target.method, path, body=body, headers=headers)
                status = connection.getresponse().status
                connection.close()
            except OSError:
                status = 0
            mine.append(time.perf_counter() - started)
            if not 200 <= status < 400:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    elapsed = run_workers(concurrency, worker)
    ordered = sorted(latencies) or [0.0]

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return Measurement(concurrency, len(latencies), elapsed, len(latencies) / elapsed,
                       pct(0.5), pct(0.95), pct(0.99), ordered[-1] * 1000, errors[0])


def load_generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def measure(base: str, target: Target, concurrency: int, seconds: float,
            client: str) -> Measurement:
    run = run_wrk if client == "wrk" else run_python
    return run(base, target, concurrency, seconds)


def echo(message: str, stream: IO[str] | None = None) -> None:
    print(message, file=stream, flush=True)


def run_workers(concurrency: int, worker: Callable[[int], None]) -> float:
    """Run `worker(0)` .. `worker(concurrency - 1)` in threads at once; seconds taken."""
    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.monotonic() - started
