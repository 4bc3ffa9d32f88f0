"""The public changelog, its Atom feed, and the team's page to publish an entry.

A nested blueprint of ideas.views (endpoints `ideas.changelog.*`).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forum.companies.services import get_company, managed_company
from forum.errors import Invalid
from forum.forms import Form, form_round_trip, redirect_with_message
from forum.pagecache.cache import cached_for_visitors
from forum.routing import parse_id, parse_page
from ideas import changelog
from ideas.policy import IdeaAction

bp = Blueprint("changelog", __name__)
FEED_ENTRIES = 20


class EntryForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("What changed (Markdown)", validators=[DataRequired(),
                                                                 Length(max=20_000)])


@bp.get("/c/<slug>/changelog")
@cached_for_visitors
def changelog_page(slug: str) -> str:
    """What the company shipped, newest first, each entry with the ideas it shipped."""
    company = get_company(slug)
    page = changelog.entries(company, request.args.get("page", 1, type=parse_page))
    return render_template("ideas/changelog.html", company=company, page=page,
                           posts=changelog.opening_posts(page))


@bp.get("/c/<slug>/changelog.atom")
def feed(slug: str) -> Response:
    """The changelog as an Atom feed; its links are built on BASE_URL."""
    company = get_company(slug)
    page = changelog.entries(company, 1, FEED_ENTRIES)
    base = current_app.config["BASE_URL"].rstrip("/")
    xml = render_template("ideas/changelog.atom.xml", company=company, page=page,
                          posts=changelog.opening_posts(page), base=base)
    return Response(xml, mimetype="application/atom+xml")


@bp.route("/c/<slug>/manage/changelog", methods=["GET", "POST"])
@login_required
def publish(slug: str) -> ResponseReturnValue:
    """Write and publish an entry; the linked ideas are marked shipped and voters told."""
    company = managed_company(current_user, slug, IdeaAction.PUBLISH_CHANGELOG)
    form = EntryForm()

    def selected() -> list[int]:
        try:
            return [parse_id(value) for value in request.form.getlist("ideas")]
        except ValueError:
            raise Invalid("One of the linked ideas does not exist.") from None

    return form_round_trip(
        form, "ideas/changelog_publish.html",
        lambda: changelog.publish(current_user, company, title=form.title.data,
                                  body=form.body.data, idea_thread_ids=selected()),
        lambda entry: redirect_with_message(
            url_for("ideas.changelog.changelog_page", slug=company.slug),
            f"Published “{entry.thread.title}”; "
            f"{len(entry.ideas)} linked idea{'' if len(entry.ideas) == 1 else 's'} shipped."),
        company=company, candidates=changelog.candidates(company),
        shipping=changelog.shipping_status(company),
        chosen={str(value) for value in request.form.getlist("ideas")},
        recent=changelog.entries(company, 1, 5).items)
