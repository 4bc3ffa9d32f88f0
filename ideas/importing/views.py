"""A company's import at /c/<slug>/manage/import: upload, preview, import.

A nested blueprint of ideas.views (endpoints `ideas.importing.*`). The upload answers
with the preview (nothing saved; 422 when any row is wrong, listing every one); the
preview's button imports the kept upload, all or nothing, and says what was made.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum.companies.models import Company
from forum.companies.services import managed_company
from forum.errors import DomainError
from forum.forms import redirect_with_message
from ideas.importing import services, stash
from ideas.importing.formats import (
    FIDER_COLUMNS,
    OUR_COMMENT_COLUMNS,
    OUR_COMMENT_OPTIONAL,
    OUR_IDEA_COLUMNS,
    OUR_IDEA_OPTIONAL,
    Format,
)
from ideas.importing.planning import Plan
from ideas.policy import IdeaAction

bp = Blueprint("importing", __name__)
FORMATS = [("auto", "Find out from the columns"), (Format.OURS.value, "Cocreate's CSV"),
           (Format.FIDER.value, "Fider's posts export")]


def _form(company: Company, error: str = "", status: int = 200,
          chosen: str = "auto") -> tuple[str, int]:
    return render_template(
        "ideas/import.html", company=company, error=error, formats=FORMATS, chosen=chosen,
        max_mb=services.max_bytes() // 1_000_000,
        columns={"ideas": (OUR_IDEA_COLUMNS, OUR_IDEA_OPTIONAL),
                 "comments": (OUR_COMMENT_COLUMNS, OUR_COMMENT_OPTIONAL),
                 "fider": FIDER_COLUMNS}), status


def _preview(company: Company, plan: Plan, token: str | None) -> tuple[str, int]:
    return render_template("ideas/import_preview.html", company=company, plan=plan,
                           token=token), 200 if plan.ok else 422


def _file(name: str) -> bytes | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.read()


@bp.route("/c/<slug>/manage/import", methods=["GET", "POST"])
@login_required
def upload(slug: str) -> ResponseReturnValue:
    """The upload form; posted, the preview of what the file would create."""
    company = managed_company(current_user, slug, IdeaAction.IMPORT_IDEAS)
    if request.method == "GET":
        return _form(company)
    chosen = "auto"
    try:
        chosen = str(request.form.get("format") or "auto")
        ideas, comments = _file("file") or b"", _file("comments")
        plan = services.preview(current_user, company, ideas, comments, chosen,
                                services.max_bytes())
    except DomainError as error:
        return _form(company, error.message, 422, chosen)
    token = None
    if plan.ok:
        token = stash.keep(current_user, company,
                           stash.Upload(plan.parsed.format.value, ideas, comments))
    return _preview(company, plan, token)


@bp.post("/c/<slug>/manage/import/confirm")
@login_required
def confirm(slug: str) -> ResponseReturnValue:
    """Import the upload the preview showed: all of it, or nothing."""
    company = managed_company(current_user, slug, IdeaAction.IMPORT_IDEAS)
    token = str(request.form.get("upload") or "")
    kept = stash.take(token, current_user, company)
    plan = services.preview(current_user, company, kept.ideas, kept.comments, kept.format,
                            services.max_bytes())
    if not plan.ok:  # the company changed since the preview (a title taken, a status gone)
        return _preview(company, plan, None)
    summary = services.import_plan(current_user, plan)
    stash.drop(token)
    return redirect_with_message(url_for("ideas.importing.upload", slug=company.slug),
                                 summary.sentence())
