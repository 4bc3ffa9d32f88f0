"""/healthz: for load balancers and operators, each component's state in JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from forum.database import check_database
from forum.search.runtime import get_runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """503 when the database does not answer, since no page works without it; a search
    index that is missing or unreadable is reported, and the answer stays 200."""
    report = {"status": "ok", "database": "ok"}
    try:
        check_database()
    except Exception as error:  # whatever it is, the answer is "the database is down"
        report.update(status="error", database="error", database_error=type(error).__name__)
    report["search"] = get_runtime().store.state()
    return jsonify(report), 200 if report["status"] == "ok" else 503
