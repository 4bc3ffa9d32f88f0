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
from forum.moderation import appeals, flags, hiding, queries, redaction, reviews
from forum.moderation.bans import BAN_LENGTHS
from forum.moderation.forms import (
    REASON_CHOICES,
    AppealDecisionForm,
    AppealForm,
    DecisionForm,
    FlagForm,
    ThresholdForm,
)
from forum.moderation.models import REASON_LABELS, Appeal, Review
from forum.routing import parse_id, parse_page
from forum.threads import queries as thread_queries
from forum.threads.models import Post
from forum.threads.views import post_url
from forum.web import safe_next, wants_fragment

bp = Blueprint("moderation", __name__)
POST_PATH = "/c/<slug>/t/<int:thread_id>/posts/<int:post_id>"
DECISIONS = {"keep": "Kept: its flags are dismissed.", "hide": "Hidden, with your reason.",
             "lock": "Thread locked, with your reason.",
             "escalate": "Escalated: the site admins are told, and the item stays open.",
             "redact": "The personal information is edited out; only moderators can read "
                       "what it said.",
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


@bp.route(POST_PATH + "/redact", methods=["GET", "POST"])
@login_required
def redact_post(slug: str, thread_id: int, post_id: int) -> ResponseReturnValue:
    """A moderator edits personal information out of a post (the form starts from its
    text); what it said stays in a revision only moderators read."""
    post, context = _post(slug, thread_id, post_id, policy.Action.REDACT_POST)
    form = DecisionForm(data={"body": post.body_source})
    return form_round_trip(
        form, "moderation/redact.html",
        lambda: redaction.redact_post(current_user, post, form.body.data, form.note.data),
        lambda _: redirect_with_message(post_url(post), DECISIONS["redact"]), **context)


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


@bp.post("/c/<slug>/manage/moderation/<int:post_id>/"
         "<any(keep, hide, lock, ban, escalate, redact):decision>")
@login_required
def decide(slug: str, post_id: int, decision: str) -> ResponseReturnValue:
    """Keep, hide, lock, redact or escalate a flagged post, or ban its author, always with a
    reason; htmx takes the item out of the queue in place (an escalated item stays, marked)."""
    company = managed_company(current_user, slug, policy.Action.MODERATE)
    review = queries.get_review(company, post_id)
    form = DecisionForm()
    return form_round_trip(
        form, lambda: _queue_page(company, ThresholdForm(
            formdata=None, data={"threshold": company.flag_threshold}), form),
        lambda: _decide(review, decision, form),
        lambda _: _decided(company, review, decision),
        fragment="moderation/_item.html", target=f"#review-{review.post_id}",
        company=company, item=_item(review), back=request.form.get("next"),
        refusal_statuses={Conflict: 409})


def _decide(review: Review, decision: str, form: DecisionForm) -> None:
    if decision == "keep":
        reviews.keep_post(current_user, review, form.note.data)
    elif decision == "hide":
        reviews.hide_reviewed(current_user, review, form.reason.data, form.note.data)
    elif decision == "escalate":
        reviews.escalate_review(current_user, review, form.note.data)
    elif decision == "redact":
        redaction.redact_reviewed(current_user, review, form.body.data, form.note.data)
    elif decision == "ban":
        reviews.ban_reviewed(current_user, review, form.duration.data, form.reason.data,
                             form.note.data)
    else:
        reviews.lock_reviewed(current_user, review, form.reason.data, form.note.data)


def _item(review: Review) -> queries.QueueItem | None:
    """The item as the queue shows it, for the form shown again with its errors."""
    return queries.queue_items([review])[0] if review.is_open else None


def _decided(company: Company, review: Review, decision: str) -> ResponseReturnValue:
    """The item's place in the queue, or back to the queue it was decided from (the
    company's, or the site admins' as `next` says)."""
    if wants_fragment():
        if decision == "escalate":  # still open: the item again, marked
            return render_template("moderation/_item.html", company=company,
                                   item=_item(review), back=request.form.get("next"))
        return render_template("moderation/_decided.html", company=company,
                               message=DECISIONS[decision], back=request.form.get("next"),
                               open_count=queries.open_count(company))
    flash(DECISIONS[decision], "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("moderation.queue", slug=company.slug)))


@bp.get("/admin/moderation")
@login_required
def platform_queue() -> str:
    """Every company's open items for the site admins: escalated first, then the oldest,
    with the same items and decisions as each company's queue."""
    policy.require(current_user, policy.Action.VIEW_ADMIN)
    after = request.args.get("after", type=parse_id)
    return render_template("admin/moderation.html", queue=queries.platform_queue(after))


@bp.get("/settings/flags")
@login_required
def my_flags() -> str:
    """The posts a person flagged, and what became of each."""
    page = request.args.get("page", 1, type=parse_page)
    return render_template("moderation/my_flags.html", flags=queries.flags_by(current_user, page))


def manage_section(company: Company) -> tuple[str, dict[str, object]]:
    """The manage page says how many flagged posts and appeals wait."""
    return "moderation/_manage_section.html", {
        "open_count": queries.open_count(company), "company": company,
        "open_appeals": queries.open_appeals(company)}


@bp.route(POST_PATH + "/appeal", methods=["GET", "POST"])
@login_required
def appeal(slug: str, thread_id: int, post_id: int) -> ResponseReturnValue:
    """The author of a hidden post asks, once, for it back."""
    post, context = _post(slug, thread_id, post_id, policy.Action.APPEAL)
    form = AppealForm()
    return form_round_trip(
        form, "moderation/appeal.html",
        lambda: appeals.file_appeal(current_user, post, form.text.data),
        lambda _: redirect_with_message(
            post_url(post), "Your appeal is sent. A moderator who did not hide your post "
            "will decide, and you will be told why."),
        refusal_statuses={Conflict: 409}, **context)


@bp.get("/c/<slug>/manage/appeals")
@login_required
def appeals_page(slug: str) -> str:
    """The company's open appeals, those asked of the viewer first."""
    company = managed_company(current_user, slug, policy.Action.MODERATE)
    return _appeals_page(company)


@bp.get("/admin/appeals")
@login_required
def admin_appeals() -> str:
    """Appeals no moderator of their company could take: the site admins decide them."""
    policy.require(current_user, policy.Action.VIEW_ADMIN)
    return _appeals_page(None)


def _appeals_page(company: Company | None, refused: Appeal | None = None,
                  form: AppealDecisionForm | None = None) -> str:
    """The appeals page; `refused` is the appeal whose decision was refused, with `form`."""
    return render_template("moderation/appeals.html", company=company,
                           appeals=queries.appeals_queue(company, current_user),
                           refused=refused, form=form)


@bp.post("/c/<slug>/manage/appeals/<int:appeal_id>")
@login_required
def decide_appeal(slug: str, appeal_id: int) -> ResponseReturnValue:
    """Restore the post or keep it hidden, with the reason the author reads; htmx
    replaces the appeal with what was decided."""
    company = get_company(slug)
    found = queries.get_appeal(company, appeal_id)
    policy.require(current_user, policy.Action.DECIDE_APPEAL, found)
    form = AppealDecisionForm()
    return form_round_trip(
        form, lambda: _appeals_page(company, found, form),
        lambda: appeals.decide_appeal(current_user, found, form.outcome.data, form.note.data),
        lambda _: _appeal_decided(found), fragment="moderation/_appeal.html",
        target=f"#appeal-{found.id}", appeal=found, refused=found,
        refusal_statuses={Conflict: 409})


def _appeal_decided(found: Appeal) -> ResponseReturnValue:
    message = ("Restored: its author is told why." if found.outcome == "restore"
               else "The post stays hidden: its author is told why.")
    if wants_fragment():
        return render_template("moderation/_appeal.html", appeal=found, refused=None,
                               form=None, message=message)
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("moderation.appeals_page", slug=found.company.slug)))



@bp.get("/c/<slug>/moderation-log")
def public_log(slug: str) -> str:
    """Everything the company's moderators did to public content, for anyone to read."""
    company = get_company(slug)
    page = queries.public_log(company, request.args.get("page", 1, type=parse_page))
    return render_template("moderation/log.html", company=company, page=page)
