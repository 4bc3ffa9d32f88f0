"""What a company's staff do to ideas: change status, tag, merge, record a customer's
vote, manage the tag list.

A nested blueprint of ideas.views (endpoints `ideas.staff.*`).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum.companies.services import get_company, managed_company
from forum.errors import Invalid, error_page
from forum.forms import answer, form_round_trip, redirect_with_message, submit, username_or_email
from forum.threads.queries import get_thread
from forum.threads.views import thread_url
from forum.web import wants_fragment
from ideas import merging, queries, services, votes
from ideas.forms import MergeForm, NewTagForm, RecordVoteForm, StatusForm, TagsForm, UnmergeForm
from ideas.models import Idea
from ideas.policy import IdeaAction

bp = Blueprint("staff", __name__)


def _idea(slug: str, thread_id: int) -> Idea:
    company = get_company(slug)
    get_thread(current_user, company, thread_id)
    return services.get_idea(company, thread_id)


def _first_error(form: object) -> str:
    errors = getattr(form, "errors", {})
    for field, messages in errors.items():
        return f"{field.replace('_', ' ').capitalize()}: {messages[0]}"
    return "Please check the form."


@bp.post("/c/<slug>/ideas/<int:thread_id>/status")
@login_required
def change_status(slug: str, thread_id: int) -> Response:
    """Change an idea's status with an optional public note."""
    idea = _idea(slug, thread_id)
    form = StatusForm()
    if not form.validate():
        raise Invalid(_first_error(form))
    services.change_status(current_user, idea, form.status.data, form.note.data or "")
    flash(f"Status changed to {idea.status_label.lower()}. Everyone can see it.", "success")
    return redirect(thread_url(idea.thread))


@bp.post("/c/<slug>/ideas/<int:thread_id>/tags")
@login_required
def set_tags(slug: str, thread_id: int) -> Response:
    """Relabel an idea."""
    idea = _idea(slug, thread_id)
    form = TagsForm()
    form.tags.choices = [(t.id, t.name) for t in services.company_tags(idea.company)]
    if not form.validate():
        raise Invalid("Choose tags from this company's list.")
    services.set_idea_tags(current_user, idea, form.tags.data or [])
    flash("Tags saved.", "success")
    return redirect(thread_url(idea.thread))


@bp.post("/c/<slug>/ideas/<int:thread_id>/merge")
@login_required
def merge(slug: str, thread_id: int) -> Response:
    """Merge a duplicate into another idea; its voters move across."""
    idea = _idea(slug, thread_id)
    form = MergeForm()
    if not form.validate():
        raise Invalid("Give the number of the idea to merge into, as in its address.")
    into = services.get_idea(idea.company, form.into.data)
    merging.merge_ideas(current_user, idea, into, form.note.data or "")
    flash(f"Merged into “{into.thread.title}”.", "success")
    return redirect(thread_url(into.thread))


@bp.post("/c/<slug>/ideas/<int:thread_id>/unmerge")
@login_required
def unmerge(slug: str, thread_id: int) -> Response:
    """Undo a merge: both ideas get back the voters, followers and tags they had, and this
    one its status."""
    idea = _idea(slug, thread_id)
    form = UnmergeForm()
    if not form.validate():
        raise Invalid(_first_error(form))
    flash(_unmerged(merging.unmerge_idea(current_user, idea, form.note.data or "")),
          "success")
    return redirect(thread_url(idea.thread))


def _unmerged(done: merging.Unmerged) -> str:
    """What an unmerge did, in a sentence or two."""
    title = done.into.thread.title
    said = (f"Unmerged from “{title}”: this idea is {done.status.label.lower()} again and "
            f"{_count(len(done.voters_returned), 'voter')} came back to it.")
    if done.voters_withdrawn:
        said += (f" {_count(len(done.voters_withdrawn), 'voter')} who had taken the moved "
                 "vote back since did not.")
    if done.followers_removed or done.tags_removed:
        said += (f" “{title}” no longer has the {_count(len(done.followers_removed), 'follower')}"
                 f" and {_count(len(done.tags_removed), 'tag')} the merge gave it.")
    return said


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@bp.post("/c/<slug>/ideas/<int:thread_id>/record-vote")
@login_required
def record_vote(slug: str, thread_id: int) -> ResponseReturnValue:
    """Record a vote for a customer who asked by mail or on a call: in place with htmx
    (the voter list follows), or a POST and redirect back."""
    idea = _idea(slug, thread_id)
    form = RecordVoteForm()
    submission = submit(form, lambda: votes.record_vote_on_behalf(
        current_user, idea, **username_or_email(form.customer.data or "")))
    return answer(submission, lambda: error_page(submission.status, _refusal(form))[0],
                  lambda done: _recorded(idea, done), fragment="ideas/_record_vote.html",
                  target="#record-vote", idea=idea)


def _refusal(form: RecordVoteForm) -> str:
    """The plain form's refusal, on a page of its own (htmx shows it in the form)."""
    messages = [message for errors in form.errors.values() for message in errors]
    return str(messages[0]) if messages else "Please check the form."


def _recorded(idea: Idea, done: votes.RecordedVote) -> ResponseReturnValue:
    # Alike whether or not an address had an account (see record_vote_on_behalf).
    said = f"Vote recorded for {done.named}. They will hear of it."
    if not wants_fragment():
        return redirect_with_message(thread_url(idea.thread), said)
    return (render_template("ideas/_record_vote.html", form=RecordVoteForm(formdata=None),
                            idea=idea, recorded=said)
            + render_template("ideas/_voters.html", idea=idea, voters=queries.voters(idea),
                              swap_out_of_band=True))


@bp.route("/c/<slug>/manage/tags", methods=["GET", "POST"])
@login_required
def manage_tags(slug: str) -> ResponseReturnValue:
    """The company's tag list."""
    company = managed_company(current_user, slug, IdeaAction.MANAGE_TAGS)
    form = NewTagForm()
    return form_round_trip(
        form, "ideas/manage_tags.html",
        lambda: services.create_tag(current_user, company, form.name.data),
        lambda tag: redirect_with_message(url_for("ideas.staff.manage_tags", slug=slug),
                                          f"Tag {tag.name} added."),
        company=company, tags=services.company_tags(company))


@bp.post("/c/<slug>/manage/tags/<int:tag_id>/delete")
@login_required
def delete_tag(slug: str, tag_id: int) -> Response:
    company = get_company(slug)
    services.delete_tag(current_user, company, tag_id)
    flash("Tag removed.", "success")
    return redirect(url_for("ideas.staff.manage_tags", slug=slug))
