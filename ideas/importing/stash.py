"""An upload kept between its preview and the import, under instance/imports/.

The preview saves nothing to the database: the upload's bytes wait on disk under a
random id that only the preview page holds, for the person and company that uploaded
them, and the import reads and checks them again (the company may have changed in
between). They are removed once imported, and any left after IMPORT_KEEP_HOURS are
removed by the next upload. On several app nodes, the instance folder must be shared
(or uploads kept by the node that served the preview).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from forum.accounts.models import User
from forum.companies.models import Company
from forum.errors import NotFound

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
GONE = ("This upload is no longer waiting (imported already, or kept too long): "
        "upload the file again.")


@dataclass(frozen=True)
class Upload:
    format: str
    ideas: bytes
    comments: bytes | None


def _folder() -> Path:
    folder = Path(current_app.config.get("IMPORT_DIR") or
                  Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clear_old(folder: Path) -> None:
    keep = float(current_app.config.get("IMPORT_KEEP_HOURS", 24)) * 3600
    for path in folder.glob("*.*"):
        if time.time() - path.stat().st_mtime > keep:
            path.unlink(missing_ok=True)


def keep(user: User, company: Company, upload: Upload) -> str:
    """Save the upload; its id for the preview page's form."""
    folder = _folder()
    _clear_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.ideas").write_bytes(upload.ideas)
    if upload.comments is not None:
        (folder / f"{token}.comments").write_bytes(upload.comments)
    (folder / f"{token}.json").write_text(json.dumps(
        {"user_id": user.id, "company_id": company.id, "format": upload.format}))
    return token


def take(token: str, user: User, company: Company) -> Upload:
    """The upload kept under `token` for this person and company, or a 404."""
    folder = _folder()
    meta_path = folder / f"{token}.json"
    if not TOKEN.match(token) or not meta_path.exists():
        raise NotFound(GONE)
    meta = json.loads(meta_path.read_text())
    if meta.get("user_id") != user.id or meta.get("company_id") != company.id:
        raise NotFound(GONE)
    comments = folder / f"{token}.comments"
    return Upload(str(meta["format"]), (folder / f"{token}.ideas").read_bytes(),
                  comments.read_bytes() if comments.exists() else None)


def drop(token: str) -> None:
    if TOKEN.match(token):
        folder = _folder()
        for suffix in ("json", "ideas", "comments"):
            (folder / f"{token}.{suffix}").unlink(missing_ok=True)
