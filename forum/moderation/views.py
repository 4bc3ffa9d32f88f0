"""Moderation pages: flag a post, hide or restore it with a reason, the review queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company
from forum.companies.services import get_company, managed_company
from forum.errors import Conflict
from forum.forms import form_round_trip, redirect_with_message
from forum.moderation import flags, hiding, queries, reviews
from forum.moderation.bans import BAN_LENGTHS
from forum.moderation.forms import REASON_CHOICES, DecisionForm, FlagForm, ThresholdForm
from forum.moderation.models import REASON_LABELS, Review
from forum.routing import parse_page
from forum.threads import queries as thread_queries
from forum.threads.models import Post
from forum.threads.views import post_url
from forum.web import wants_fragment

bp = Blueprint("moderation", __name__)
POST_PATH = "/c/<slug>/t/<int:thread_id>/posts/<int:post_id>"
DECISIONS = {"keep": "Kept: its flags are dismissed.", "hide": "Hidden, with your reason.",
             "lock": "Thread locked, with your reason.",
             "ban": "Its author is banned from posting here, and told until when and why."}


@bp.app_template_filter("reason_label")
def reason_label(reason: str) -> str:
    """A reason category as people read it ("abuse or harassment")."""
    return REASON_LABELS.get(reason, reason)


@bp.app_template_global()
def reason_choices() -> list[tuple[str, str]]:
    """The reason categories a flag or a decision chooses from, as (value, label)."""
    return REASON_CHOICES


@bp.app_template_global()
def ban_standing(company: Company, person: User) -> policy.Standing:
    """What the queue asks the policy before it offers to ban a post's author."""
    return policy.Standing(company, person)


@bp.app_template_global()
def ban_lengths() -> list[tuple[str, str]]:
    """How long a ban may last, as (value, label)."""
    return [(value, label) for value, (_days, label) in BAN_LENGTHS.items()]


def _post(slug: str, thread_id: int, post_id: int, action: str) -> tuple[Post, dict]:
    """The post in the URL, if the viewer may see it and do `action` to it, and the
    context its form pages share."""
    thread = thread_queries.get_thread(current_user, get_company(slug), thread_id)
    post = thread_queries.get_post(thread, post_id)
    policy.require(current_user, action, post)
    return post, {"post": post, "thread": thread, "company": thread.company}


@bp.route(POST_PATH + "/flag", methods=["GET", "POST"])
@login_required
def flag_post(slug: str, thread_id: int, post_id: int) -> ResponseReturnValue:
    """Flag a post for the company's moderators, once, with a reason."""
    post, context = _post(slug, thread_id, post_id, policy.Action.FLAG_POST)
    form = FlagForm()
    return form_round_trip(
        form, "moderation/flag.html",
        lambda: flags.flag_post(current_user, post, form.reason.data, form.note.data),
        lambda flag: _flagged(post, flag),
        refusal_statuses={Conflict: 409}, fragment="moderation/_flag.html",
        target=f"#flag-{post.id}", flag=None, **context)


def _flagged(post: Post, flag: object) -> ResponseReturnValue:
    if wants_fragment():
        return render_template("moderation/_flag.html", post=post, thread=post.thread,
                               company=post.thread.company, flag=flag, form=None)
    return redirect_with_message(post_url(post), "Thank you: the moderators will look at it.")


@bp.route(POST_PATH + "/hide", methods=["GET", "POST"])
@login_required
def hide_post(slug: str, thread_id: int, post_id: int) -> ResponseReturnValue:
    """A moderator hides a post, with a reason its author is told."""
    post, context = _post(slug, thread_id, post_id, policy.Action.HIDE_POST)
    form = DecisionForm()
    return form_round_trip(
        form, "moderation/hide.html",
        lambda: hiding.hide_post(current_user, post, form.reason.data, form.note.data),
        lambda _: redirect_with_message(post_url(post),
                                        "The post is hidden; its author is told why."),
        **context)


@bp.post(POST_PATH + "/restore")
@login_required
def restore_post(slug: str, thread_id: int, post_id: int) -> ResponseReturnValue:
    """A moderator shows a hidden post again, saying why."""
    post, context = _post(slug, thread_id, post_id, policy.Action.RESTORE_POST)
    form = DecisionForm()
    return form_round_trip(
        form, "moderation/restore.html",
        lambda: hiding.restore_post(current_user, post, form.note.data),
        lambda _: redirect_with_message(post_url(post), "The post is back."), **context)


@bp.get("/c/<slug>/manage/moderation")
@login_required
def queue(slug: str) -> str:
    """The company's flagged posts, oldest first, each with its flags and a decision."""
    company = managed_company(current_user, slug, policy.Action.MODERATE)
    return _queue_page(company, ThresholdForm(data={"threshold": company.flag_threshold}))


def _queue_page(company: Company, threshold_form: ThresholdForm,
                decision: DecisionForm | None = None) -> str:
    """The queue page; `decision` is a refused decision, whose errors it shows on top."""
    return render_template("moderation/queue.html", company=company,
                           queue=queries.review_queue(company),
                           threshold_form=threshold_form, decision=decision)


@bp.post("/c/<slug>/manage/moderation/settings")
@login_required
def settings(slug: str) -> ResponseReturnValue:
    """The flag threshold: how many trusted flags hide a post pending review."""
    company = managed_company(current_user, slug, policy.Action.MODERATE)
    form = ThresholdForm()
    return form_round_trip(
        form, lambda: _queue_page(company, form),
        lambda: reviews.set_flag_threshold(current_user, company, form.threshold.data),
        lambda _: redirect_with_message(url_for("moderation.queue", slug=slug),
                                        "The flag threshold is saved."))


@bp.post("/c/<slug>/manage/moderation/<int:post_id>/<any(keep, hide, lock, ban):decision>")
@login_required
def decide(slug: str, post_id: int, decision: str) -> ResponseReturnValue:
    """Keep, hide or lock a flagged post, or ban its author, always with a reason; htmx
    takes the item out of the queue in place."""
    company = managed_company(current_user, slug, policy.Action.MODERATE)
    review = queries.get_review(company, post_id)
    form = DecisionForm()
    return form_round_trip(
        form, lambda: _queue_page(company, ThresholdForm(
            formdata=None, data={"threshold": company.flag_threshold}), form),
        lambda: _decide(review, decision, form),
        lambda _: _decided(company, review, decision),
        fragment="moderation/_item.html", target=f"#review-{review.post_id}",
        company=company, item=_item(review), refusal_statuses={Conflict: 409})


def _decide(review: Review, decision: str, form: DecisionForm) -> None:
    if decision == "keep":
        reviews.keep_post(current_user, review, form.note.data)
    elif decision == "hide":
        reviews.hide_reviewed(current_user, review, form.reason.data, form.note.data)
    elif decision == "ban":
        reviews.ban_reviewed(current_user, review, form.duration.data, form.reason.data,
                             form.note.data)
    else:
        reviews.lock_reviewed(current_user, review, form.reason.data, form.note.data)


def _item(review: Review) -> queries.QueueItem | None:
    """The item as the queue shows it, for the form shown again with its errors."""
    return next((item for item in queries.review_queue(review.company).items
                 if item.review.id == review.id), None)


def _decided(company: Company, review: Review, decision: str) -> ResponseReturnValue:
    if wants_fragment():
        return render_template("moderation/_decided.html", company=company,
                               message=DECISIONS[decision],
                               open_count=queries.open_count(company))
    flash(DECISIONS[decision], "success")
    return redirect(url_for("moderation.queue", slug=company.slug))


@bp.get("/settings/flags")
@login_required
def my_flags() -> str:
    """The posts a person flagged, and what became of each."""
    page = request.args.get("page", 1, type=parse_page)
    return render_template("moderation/my_flags.html", flags=queries.flags_by(current_user, page))


def manage_section(company: Company) -> tuple[str, dict[str, object]]:
    """The manage page says how many flagged posts wait."""
    return "moderation/_manage_section.html", {"open_count": queries.open_count(company),
                                               "company": company}


@bp.get("/c/<slug>/moderation-log")
def public_log(slug: str) -> str:
    """Everything the company's moderators did to public content, for anyone to read."""
    company = get_company(slug)
    page = queries.public_log(company, request.args.get("page", 1, type=parse_page))
    return render_template("moderation/log.html", company=company, page=page)
