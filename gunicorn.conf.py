"""Gunicorn's settings for Cocreate: `gunicorn -c gunicorn.conf.py wsgi:app`.

Chosen by measurement with bench/traffic.py (bench/README.md, "Real traffic"); the
reasons are in README.md, "Production". Command-line flags still override each one.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

wsgi_app = "wsgi:app"


def _default_workers() -> int:
    """One worker per CPU, at least two: pages are CPU-bound Python and, without
    PAGE_CACHE_URL, the page cache is per process; on 2 CPUs, four workers served 15-27%
    less than two."""
    return max(2, os.cpu_count() or 1)


workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY")
              or _default_workers())
# sync: each worker serves one request at a time and closes the connection after it, so
# no client can reuse a connection the server is closing. gthread served no more (its
# threads share the GIL), and its workers died of segmentation faults under load
# (bench/README.md, "Real traffic").
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
# Only for gthread: with threads > 1, gunicorn silently turns sync workers into gthread.
threads = int(os.environ.get("GUNICORN_THREADS", "4")) if worker_class == "gthread" else 1

# For gthread (sync ignores it): longer than clients and proxies keep an idle connection
# before reusing it (nginx and load balancers: 60 s). Gunicorn's 2 s closed connections
# that clients were reusing at that moment, and those requests were lost.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 30  # a stopping worker finishes its requests first

# Gunicorn 25+ opens a control socket for `gunicornc`, by default one path per user
# (~/.gunicorn/gunicorn.ctl): a second gunicorn on the machine (another node, a bench run)
# took that path over, and whichever stopped first removed the other's. One per instance.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or str(
    Path(os.environ.get("COCREATE_INSTANCE_DIR") or Path(__file__).parent / "instance")
    / "gunicorn.ctl")

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


def pre_fork(server: Any, worker: Any) -> None:
    """Set what the master built (the app and the modules it imported, some 190,000
    objects) out of the garbage collector's reach before forking: a full collection in a
    worker walked all of them, a 100 ms pause in whichever request it fell on (bench/
    README.md, "Collector pauses"), and writing their collector headers copied pages the
    workers otherwise share with the master."""
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """Set the app out of the collector's reach here too (it is the worker's own when
    the app is not preloaded), after one collection so no garbage is kept with it. Then
    open the search index and read what searches keep of it (forum/search/warm.py)
    before the worker's first request, which would otherwise wait for it: at scale L
    half a second, once per worker. The index's readers stay collectable: they are
    replaced when the index changes, and their memory maps must go with them."""
    gc.collect()
    gc.freeze()
    worker.log.info("Worker %s set %d objects of the app out of the collector's passes",
                    worker.pid, gc.get_freeze_count())
    app = worker.wsgi
    extension = getattr(app, "extensions", {}).get("cocreate.search")
    if extension is None:  # not Cocreate (bench/hello_app.py)
        return
    segments = extension.warm_up()
    if segments is None:
        worker.log.info("Worker %s found no search index to read yet", worker.pid)
    else:
        worker.log.info("Worker %s read %d search index segment(s) before its first "
                        "request", worker.pid, segments)
