"""Changing posts and threads: edit, remove, history, accept, pin, lock, move, categories."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum import policy
from forum.companies.models import Company
from forum.companies.services import get_company, managed_company
from forum.errors import DomainError
from forum.forms import form_round_trip, redirect_with_message
from forum.moderation import watched
from forum.routing import parse_id
from forum.threads import categories, posting, queries, state
from forum.threads.forms import AcceptForm, CategoryForm, EditPostForm, MoveForm
from forum.threads.models import Post, Thread
from forum.threads.views import post_url, thread_url
from forum.web import safe_next

bp = Blueprint("thread_staff", __name__)


def _thread_and_post(slug: str, thread_id: int, post_id: int) -> tuple[Thread, Post]:
    thread = queries.get_thread(current_user, get_company(slug), thread_id)
    return thread, queries.get_post(thread, post_id)


def _back(thread: Thread) -> Response:
    """Back to the page the form was on, if it is one of ours, else to the thread."""
    return redirect(safe_next(request.form.get("next"), thread_url(thread)))


@bp.route("/c/<slug>/t/<int:thread_id>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(slug: str, thread_id: int, post_id: int) -> ResponseReturnValue:
    """Edit a post; the earlier version is kept and the post shows it was edited."""
    thread, post = _thread_and_post(slug, thread_id, post_id)
    policy.require(current_user, policy.Action.EDIT_POST, post)
    form = EditPostForm(data={"title": thread.title, "body": post.body_source})
    return form_round_trip(
        form, "threads/edit_post.html",
        lambda: posting.edit_post(current_user, post, form.body.data,
                                  title=form.title.data if post.number == 1 else None),
        lambda _: _edited(post), company=thread.company, thread=thread, post=post)


def _edited(post: Post) -> Response:
    """The edited post; one held for a moderator says so, and a held opening post (its
    thread waits too) leaves its author on the forum."""
    if not watched.is_held(post):
        return redirect_with_message(post_url(post), "Your changes are saved.")
    where = (url_for("companies.company", slug=post.thread.company.slug)
             if post.thread.is_hidden else post_url(post))
    return redirect_with_message(where, watched.held_notice(post.hidden_reason))


@bp.post("/c/<slug>/t/<int:thread_id>/posts/<int:post_id>/delete")
@login_required
def delete_post(slug: str, thread_id: int, post_id: int) -> Response:
    """Remove a post (it is hidden, not destroyed)."""
    thread, post = _thread_and_post(slug, thread_id, post_id)
    posting.delete_post(current_user, post)
    flash("The post is removed.", "success")
    if post.number == 1:
        return redirect(url_for("threads.forum", slug=slug))
    return redirect(thread_url(thread))


@bp.get("/c/<slug>/t/<int:thread_id>/posts/<int:post_id>/revisions")
@login_required
def revisions(slug: str, thread_id: int, post_id: int) -> str:
    """Earlier versions of a post, for its author and the company's staff."""
    thread, post = _thread_and_post(slug, thread_id, post_id)
    policy.require(current_user, policy.Action.VIEW_REVISIONS, post)
    return render_template("threads/revisions.html", company=thread.company, thread=thread,
                           post=post, revisions=queries.revisions(
                               post, with_redacted=bool(policy.can(
                                   current_user, policy.Action.VIEW_REDACTED, post))))


@bp.post("/c/<slug>/t/<int:thread_id>/accept")
@login_required
def accept(slug: str, thread_id: int) -> Response:
    """Mark (or clear) the accepted answer of a question."""
    thread = queries.get_thread(current_user, get_company(slug), thread_id)
    form = AcceptForm()
    if not form.validate():
        abort(400, form.post_id.errors[0] if form.post_id.errors else None)
    post = None if form.post_id.data is None else queries.get_post(thread, form.post_id.data)
    state.accept_answer(current_user, thread, post)
    flash("Accepted answer marked." if post else "Accepted answer cleared.", "success")
    return redirect(thread_url(thread))


@bp.post("/c/<slug>/t/<int:thread_id>/<any(pin, unpin, lock, unlock):action>")
@login_required
def set_state(slug: str, thread_id: int, action: str) -> Response:
    """Pin or lock a thread, or undo it."""
    thread = queries.get_thread(current_user, get_company(slug), thread_id)
    if action in ("pin", "unpin"):
        state.set_pinned(current_user, thread, action == "pin")
    else:
        state.set_locked(current_user, thread, action == "lock")
    flash(f"Thread {action}ned." if action.endswith("n") else f"Thread {action}ed.", "success")
    return _back(thread)


@bp.post("/c/<slug>/t/<int:thread_id>/move")
@login_required
def move(slug: str, thread_id: int) -> Response:
    """Move a thread to another category of the same company."""
    company = get_company(slug)
    thread = queries.get_thread(current_user, company, thread_id)
    form = MoveForm()
    form.category.choices = [(c.id, c.name) for c in categories.list_categories(company)]
    if not form.validate():
        abort(400, "Choose one of this company's categories.")
    target = categories.get_category_by_id(company, form.category.data)
    state.move_thread(current_user, thread, target)
    flash(f"Moved to {target.name}.", "success")
    return redirect(thread_url(thread))


def _managed(slug: str) -> Company:
    company = managed_company(current_user, slug, policy.Action.MANAGE_CATEGORIES)
    return company


@bp.route("/c/<slug>/manage/categories", methods=["GET", "POST"])
@login_required
def manage_categories(slug: str) -> ResponseReturnValue:
    """Owners and moderators add, rename and order categories."""
    company = _managed(slug)
    editing = None
    if edit_id := request.args.get("edit", type=parse_id):
        editing = categories.get_category_by_id(company, edit_id)
    form = CategoryForm(obj=editing)
    return form_round_trip(
        form, "threads/manage_categories.html",
        lambda: categories.save_category(
            current_user, company, name=form.name.data, slug=form.slug.data,
            description=form.description.data or "", position=form.position.data or 0,
            category=editing),
        lambda saved: redirect_with_message(
            url_for("thread_staff.manage_categories", slug=slug),
            f"Category {saved.name} saved."),
        company=company, editing=editing, categories=categories.list_categories(company))


@bp.post("/c/<slug>/manage/categories/<int:category_id>/delete")
@login_required
def delete_category(slug: str, category_id: int) -> Response:
    """Remove an empty category."""
    company = _managed(slug)
    try:
        categories.delete_category(current_user, company,
                                   categories.get_category_by_id(company, category_id))
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Category removed.", "success")
    return redirect(url_for("thread_staff.manage_categories", slug=slug))
