"""Importing ideas: what the web page, the CLI and the tests call."""

from __future__ import annotations

import sys
from collections.abc import Callable

from flask import current_app

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.errors import Invalid
from ideas.importing import formats, reading
from ideas.importing.planning import Plan, make_plan
from ideas.importing.writing import Summary, import_plan
from ideas.policy import IdeaAction


def max_bytes() -> int:
    return int(current_app.config["IMPORT_MAX_BYTES"])


def preview(actor: User, company: Company, data: bytes, comments: bytes | None = None,
            format: str = "auto", limit: int | None = None) -> Plan:
    """What importing the upload would create, and every row that is wrong; writes
    nothing. A file that cannot be read at all (not UTF-8, wrong columns) is Invalid.
    `limit`: the most bytes taken (the web page's IMPORT_MAX_BYTES; none from a shell)."""
    policy.require(actor, IdeaAction.IMPORT_IDEAS, company)
    if limit is None:
        limit = sys.maxsize
    elif len(data) + len(comments or b"") > limit:
        raise Invalid(f"The upload is larger than {limit:,} bytes: split it into "
                      "several imports.", field="file")
    ideas, comments = reading.unpack(data, comments, limit)
    return make_plan(company, formats.parse(ideas, comments, format))


def import_file(actor: User, company: Company, data: bytes, comments: bytes | None = None,
                format: str = "auto",
                progress: Callable[[int], object] = lambda done: None) -> Summary:
    """Import the file, all of it, or nothing when any row is wrong (no size limit: for
    the shell and the tests)."""
    return import_plan(actor, preview(actor, company, data, comments, format), progress)
