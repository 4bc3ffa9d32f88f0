"""Your data: download it, or delete your account; a company's data, for its owners."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from forum import policy
from forum.accounts import deletion
from forum.companies import services as companies
from forum.dataexport import services
from forum.dataexport.forms import DeleteAccountForm
from forum.extensions import limiter
from forum.forms import Form, form_round_trip, redirect_with_message

bp = Blueprint("data", __name__)


def _export_limit() -> str:
    return current_app.config["EXPORT_RATE_LIMIT"]


def _person_key() -> str:
    """Per account, whichever browser asks (the views need a signed-in person)."""
    return f"export:{current_user.id if current_user.is_authenticated else ''}"


def _zip(chunks: Iterator[bytes], filename: str) -> Response:
    """A zip sent as it is built (no length known ahead, nothing kept by caches)."""
    return Response(chunks, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@bp.get("/settings/data")
@login_required
def your_data() -> str:
    """Download your data, or delete your account."""
    return render_template("dataexport/your_data.html", form=Form())


@bp.post("/settings/data/export")
@login_required
@limiter.limit(_export_limit, key_func=_person_key)
def download_your_data() -> Response:
    """Everything you wrote and did, as a zip of JSON files."""
    chunks = services.export_person(current_user, request.host)
    return _zip(chunks, f"{request.host.split(':')[0]}-{current_user.username}.zip")


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> ResponseReturnValue:
    """Delete your account, after your password and your username typed again."""
    form = DeleteAccountForm()

    def signed_out(erased: int) -> Response:
        logout_user()
        told = f" {erased} of your posts were erased." if erased else ""
        return redirect_with_message(url_for("companies.home"),
                                     f"Your account is deleted.{told}")

    return form_round_trip(
        form, "dataexport/delete_account.html",
        lambda: deletion.delete_account(current_user, form.password.data or "",
                                        form.confirmation.data or "",
                                        erase=bool(form.erase.data)),
        signed_out, refused=policy.can(current_user, policy.Action.DELETE_ACCOUNT,
                                       deletion.departure(current_user)))


@bp.get("/c/<slug>/manage/export")
@login_required
def company_export(slug: str) -> str:
    """Owners download their company's data."""
    company = companies.managed_company(current_user, slug, policy.Action.EXPORT_COMPANY)
    return render_template("dataexport/company_export.html", company=company, form=Form())


@bp.post("/c/<slug>/manage/export")
@login_required
@limiter.limit(_export_limit, key_func=_person_key)
def download_company_export(slug: str) -> Response:
    """The company's ideas, threads, posts, votes and tags, as CSV files in a zip."""
    company = companies.managed_company(current_user, slug, policy.Action.EXPORT_COMPANY)
    chunks = services.export_company(current_user, company, request.host)
    return _zip(chunks, f"{company.slug}-export.zip")
