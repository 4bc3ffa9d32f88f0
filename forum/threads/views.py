"""Forum pages: the company forum, categories, threads, replies and the live preview."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum import content, policy
from forum.companies.services import get_company
from forum.database import write_transaction
from forum.extensions import login_manager
from forum.forms import answer, form_round_trip, page_form, redirect_with_message, submit
from forum.hooks import hooks_of
from forum.moderation import watched
from forum.moderation.queries import my_appeals, my_flags
from forum.notifications.services import following
from forum.pagecache.cache import cached_for_visitors
from forum.routing import parse_id, parse_page
from forum.threads import categories, posting, queries
from forum.threads.forms import AcceptForm, MoveForm, ReplyForm, ThreadForm
from forum.threads.models import Post, Thread
from forum.threads.urls import thread_path
from forum.web import wants_fragment

bp = Blueprint("threads", __name__)


def thread_url(thread: Thread, **params: object) -> str:
    """The canonical address of any thread, at the page registered for its kind."""
    return thread_path(thread.company.slug, thread.id, thread.slug, thread.kind, **params)


def post_url(post: Post) -> str:
    return numbered_post_url(post.thread, post.number)


def numbered_post_url(thread: Thread, number: int) -> str:
    """The address of a thread's post by number: its page of the thread, at the post."""
    page = (number - 1) // queries.POSTS_PER_PAGE + 1
    return thread_url(thread, page=page if page > 1 else None) + f"#post-{number}"


@bp.app_template_global()
def url_for_thread(thread: Thread, **params: object) -> str:
    return thread_url(thread, **params)


@bp.app_template_global()
def url_for_post(post: Post) -> str:
    return post_url(post)


def _page() -> int:
    return request.args.get("page", 1, type=parse_page)


@bp.get("/c/<slug>/forum")
@cached_for_visitors
def forum(slug: str) -> str:
    """A company's forum: its categories and the latest threads."""
    company = get_company(slug)
    return render_template(
        "threads/forum.html", company=company, categories=categories.list_categories(company),
        threads=queries.latest_threads(company, _page()),
        responsiveness=queries.responsiveness(company))


@bp.get("/c/<slug>/forum/<category_slug>")
@cached_for_visitors
def category(slug: str, category_slug: str) -> str:
    """One category's threads, pinned first."""
    company = get_company(slug)
    section = categories.get_category(company, category_slug)
    return render_template("threads/category.html", company=company, category=section,
                           threads=queries.category_threads(section, _page()))


@bp.route("/c/<slug>/forum/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str) -> ResponseReturnValue:
    """Start a thread: a question, a problem, praise or a discussion."""
    company = get_company(slug)
    policy.require(current_user, policy.Action.START_THREAD, company)  # before they type
    form = ThreadForm()
    sections = categories.list_categories(company)
    form.category.choices = [(section.id, section.name) for section in sections]
    if request.method == "GET" and (wanted := request.args.get("category")):
        form.category.data = next((s.id for s in sections if s.slug == wanted), None)
    return form_round_trip(
        form, "threads/new_thread.html",
        lambda: posting.start_thread(
            current_user, company, title=form.title.data, body=form.body.data,
            kind=form.kind.data,
            category=categories.get_category_by_id(company, form.category.data),
            official=form.official.data),
        _thread_started, company=company, has_categories=bool(sections))


def _thread_started(thread: Thread) -> Response:
    """The new thread; one held for a moderator cannot be opened yet, so its author is
    told so on the forum."""
    if thread.is_hidden:
        return redirect_with_message(url_for("threads.forum", slug=thread.company.slug),
                                     watched.held_notice(thread.hidden_reason))
    return redirect(thread_url(thread))


@bp.get("/c/<slug>/t/<int:thread_id>")
@bp.get("/c/<slug>/t/<int:thread_id>-<thread_slug>")
@cached_for_visitors
def thread(slug: str, thread_id: int, thread_slug: str = "") -> str | Response:
    """A thread: the question first, the accepted answer under it, then every post."""
    company = get_company(slug)
    found = queries.get_thread(current_user, company, thread_id)
    if hooks_of().thread_endpoint(found.kind) != request.endpoint or thread_slug != found.slug:
        return redirect(thread_url(found, page=request.args.get("page", type=parse_page)), 301)
    return render_thread(found)


def render_thread(thread: Thread, template: str = "threads/thread.html",
                  reply_form: ReplyForm | None = None, **extra: object) -> str:
    """The thread page's data; plug-ins render their kinds' pages through this too."""
    posts = queries.thread_posts(thread, _page())
    form = reply_form or page_form(ReplyForm)
    if quoted := request.args.get("quote", type=parse_id):
        source = next((p for p in posts.items if p.id == quoted and not p.is_hidden), None)
        if source is not None and not form.body.data:
            form.body.data = content.quote(source.body_source, source.author.username)
    move_form = page_form(MoveForm)
    if policy.can(current_user, policy.Action.MOVE_THREAD, thread):
        move_form.category.choices = [
            (c.id, c.name) for c in categories.list_categories(thread.company)]
        move_form.category.data = thread.category_id
    return render_template(
        template, company=thread.company, thread=thread, posts=posts,
        pages=queries.page_count(thread), accepted=queries.accepted_post(thread),
        form=form, accept_form=page_form(AcceptForm), move_form=move_form,
        follow_state=following(current_user, thread),
        flagged=my_flags(current_user, posts.items),
        appeals=my_appeals(current_user, posts.items),
        follow_url=url_for("notifications.follow_thread", slug=thread.company.slug,
                           thread_id=thread.id), **thread_decisions(thread), **extra)


def thread_decisions(thread: Thread) -> dict[str, object]:
    """What the viewer may do to the thread, decided once for all of its posts, and the
    address a post's Quote link extends (built once, not once per post)."""
    here = thread_url(thread, page=request.args.get("page", type=parse_page))
    joiner = "&" if "?" in here else "?"
    return {"may_reply": bool(policy.can(current_user, policy.Action.REPLY, thread)),
            "may_accept": bool(policy.can(current_user, policy.Action.ACCEPT_ANSWER, thread)),
            "quote_url": f"{here}{joiner}quote="}


@bp.post("/c/<slug>/t/<int:thread_id>/reply")
def reply(slug: str, thread_id: int) -> ResponseReturnValue:
    """Reply in place with htmx (the new post appears), or by a plain POST and redirect."""
    # The replier and the thread are read in the transaction that writes the reply, and
    # shown as committed, so nothing is read twice.
    with write_transaction(keep_loaded=True):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        found = queries.find_thread(current_user, slug, thread_id)
        form = ReplyForm()
        submission = submit(form, lambda: posting.post_reply(
            current_user, found, form.body.data, official=form.official.data))
    # Shown after the commit: what the reply changed is on the objects already loaded.
    return answer(submission, lambda: render_thread(found, reply_form=form),
                  lambda post: _reply_posted(post, found),
                  fragment="threads/_reply_form.html", target="#reply-form",
                  thread=found, company=found.company)


def _reply_posted(post: Post, thread: Thread) -> ResponseReturnValue:
    """The new post in place (with an empty form) for htmx, else the post on its page."""
    if watched.is_held(post):  # its author sees it on the page, with why it waits
        flash(watched.held_notice(post.hidden_reason), "success")
        if wants_fragment():
            return "", 200, {"HX-Redirect": post_url(post)}
        return redirect(post_url(post))
    if wants_fragment():
        return render_template("threads/_reply_created.html", post=post, thread=thread,
                               company=thread.company, form=ReplyForm(formdata=None),
                               **thread_decisions(thread))
    return redirect_with_message(post_url(post), "Your reply is posted.")


@bp.post("/preview")
def preview() -> str | tuple[str, int]:
    """Live preview of Markdown, rendered by the same pipeline that stores posts."""
    source = request.form.get("body", "")
    if len(source) > posting.MAX_BODY:
        return render_template("threads/_preview.html", html=None, too_long=True), 200
    rendered = posting.render(source)
    return render_template("threads/_preview.html", html=rendered.html, too_long=False)
