"""Gunicorn's settings for Cocreate: `gunicorn -c gunicorn.conf.py wsgi:app`.

Chosen by measurement with bench/traffic.py (bench/README.md, "Real traffic"); the
reasons are in README.md, "Production". Command-line flags still override each one.
"""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "wsgi:app"


def _default_workers() -> int:
    """One worker per CPU, at least two: pages are CPU-bound Python, and a worker more
    than the CPUs only adds memory (measured on 2 CPUs)."""
    return max(2, os.cpu_count() or 1)


workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY")
              or _default_workers())
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Longer than any client or proxy keeps an idle connection before reusing it (nginx
# upstream keepalive_timeout 60 s, load balancers 60 s): gunicorn's 2 s closed
# connections that clients were already reusing, and those requests were lost.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 30  # a stopping worker finishes its requests first

# The app is built once in the master and forked: workers start faster and share its
# memory. Each then drops the database connections it inherited (post_fork below).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def post_fork(server: Any, worker: Any) -> None:
    """Dispose of every SQLAlchemy engine the master's app holds, so that no worker ever
    uses a connection (or, on SQLite, a writers' lock file) opened before the fork."""
    app = worker.app.wsgi()
    extension = getattr(app, "extensions", {}).get("sqlalchemy")
    if extension is None:  # not Cocreate (bench/hello_app.py)
        return
    with app.app_context():
        engines = list(extension.engines.values())
        for engine in engines:
            # close=False: the master's connections are its own; the worker forgets them.
            engine.dispose(close=False)
    server.log.info("Worker %s disposed of %d database engine(s) inherited from the master",
                    worker.pid, len(engines))
