"""What the benchmark scripts share: the signed-in account, where files go, the app's env."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
DEFAULT_OUT = BENCH_DIR / "out"

# Every generated account has this password (one werkzeug hash, computed once).
BENCH_PASSWORD = "bench-password"  # noqa: S105 (a benchmark fixture, not a secret)
# A customer (no staff role anywhere) that pages.py signs in as to vote and reply.
BENCH_USERNAME = "benchuser"
SECRET_KEY = "cocreate-bench-secret-key"  # noqa: S105 (shared by the gunicorn workers)

# Posting limits turned off for the benchmark: one user replies many times a second.
NO_POSTING_LIMITS = {
    "POST_MIN_INTERVAL_SECONDS": "0",
    "DUPLICATE_POST_MINUTES": "0",
    "POSTS_PER_DAY": "1000000000",
    "NEW_ACCOUNT_POSTS_PER_DAY": "1000000000",
    "NEW_ACCOUNT_THREADS_PER_DAY": "1000000000",
}


def sqlalchemy_url(url: str) -> str:
    """DATABASE_URL spelled as the app spells it (postgres:// -> postgresql+psycopg://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def workdir(url: str) -> Path:
    """A scratch directory per database (its search index, the app's instance dir)."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", url.rsplit("/", 1)[-1]).strip("-") or "db"
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    path = Path(tempfile.gettempdir()) / "cocreate-bench" / f"{name}-{digest}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def index_dir(url: str) -> Path:
    return workdir(url) / "search"


def app_env(url: str, search_index: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment the app runs with under the benchmark (flask CLI and gunicorn)."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "COCREATE_INSTANCE_DIR": str(workdir(url) / "instance"),
        "SEARCH_INDEX_DIR": str(search_index or index_dir(url)),
        "SEARCH_INDEXER_THREAD": "0",
        "RATELIMIT_ENABLED": "0",
        "FLASK_APP": "wsgi",
        **NO_POSTING_LIMITS,
        **extra,
    })
    return env


def venv_bin(name: str) -> str:
    """A tool from the venv running this script (flask, gunicorn), else from PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


@contextmanager
def search_worker(env: dict[str, str]) -> Iterator[None]:
    """`flask search worker` beside the app for the block, stopped as a service manager
    stops it (SIGTERM: it finishes its batch): writes reach the index, and each of its
    commits makes the app's workers open the index again, as on a live site."""
    indexer = subprocess.Popen([venv_bin("flask"), "search", "worker"], cwd=ROOT, env=env,  # noqa: S603
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        indexer.send_signal(signal.SIGTERM)
        indexer.wait(timeout=60)


def progress_bar(length: int, label: str) -> Any:
    return click.progressbar(length=length, label=label, show_pos=True, file=sys.stderr)
