"""Idea pages: the board, proposing, voting, the idea page and the roadmap.

`ideas.init_app` registers this blueprint with the app's hooks.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from forum import policy
from forum.companies.services import get_company
from forum.database import write_transaction
from forum.forms import form_round_trip, page_form, redirect_with_message
from forum.moderation import watched
from forum.pagecache.cache import cached_for_visitors
from forum.routing import parse_page
from forum.threads.queries import get_thread
from forum.threads.views import render_thread, thread_url
from forum.web import safe_next, wants_fragment
from ideas import priority, queries, services, statuses, votes
from ideas.changelog_views import bp as changelog_bp
from ideas.forms import (
    MergeForm,
    ProposeForm,
    RecordVoteForm,
    StatusForm,
    TagsForm,
    UnmergeForm,
)
from ideas.importing.views import bp as importing_bp
from ideas.models import Idea, IdeaStatus, Importance
from ideas.policy import IdeaAction
from ideas.priority_views import bp as priority_bp
from ideas.staff_views import bp as staff_bp
from ideas.status_views import bp as statuses_bp
from ideas.triage_views import bp as triage_bp

bp = Blueprint("ideas", __name__)
bp.register_blueprint(staff_bp)
bp.register_blueprint(triage_bp)
bp.register_blueprint(changelog_bp)
bp.register_blueprint(priority_bp)
bp.register_blueprint(statuses_bp)
bp.register_blueprint(importing_bp)


def _filters(status_keys: set[str]) -> dict[str, object]:
    sort = request.args.get("sort", "trending")
    status = request.args.get("status") or None
    return {"sort": sort if sort in queries.SORTS else "trending",
            "status": status if status in status_keys else None,
            "tag": request.args.get("tag") or None,
            "page": request.args.get("page", 1, type=parse_page)}


@bp.get("/ideas")
@cached_for_visitors
def trending() -> str:
    """Trending ideas across every company."""
    page = queries.trending(request.args.get("page", 1, type=parse_page))
    template = "ideas/_board_page.html" if wants_fragment() else "ideas/trending.html"
    return render_template(template, ideas=page, voted=queries.voted_ids(current_user,
                                                                          page.items),
                           company=None, filters={"page": page.number})


@bp.get("/c/<slug>/ideas")
@cached_for_visitors
def board(slug: str) -> str:
    """A company's ideas board: sort, filter by status and tag, scroll for more."""
    company = get_company(slug)
    choices = statuses.choices(statuses.company_statuses(company.id))
    filters = _filters({key for key, _label in choices})
    tags = services.company_tags(company)
    tag = next((t for t in tags if t.slug == filters["tag"]), None)
    page = queries.board(company, sort=str(filters["sort"]),
                         status=filters["status"], tag=tag,  # type: ignore[arg-type]
                         page=int(filters["page"]))  # type: ignore[call-overload]
    context = {"company": company, "ideas": page, "filters": filters, "tags": tags,
               "statuses": choices,
               "voted": queries.voted_ids(current_user, page.items)}
    template = "ideas/_board_page.html" if wants_fragment() else "ideas/board.html"
    return render_template(template, **context)


@bp.route("/c/<slug>/ideas/new", methods=["GET", "POST"])
def propose(slug: str) -> ResponseReturnValue:
    """Propose an idea; similar ones show up while the title is typed."""
    company = get_company(slug)
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.signin", next=request.path))
    policy.require(current_user, IdeaAction.PROPOSE, company)  # before they type
    form = ProposeForm()
    form.tags.choices = [(tag.id, tag.name) for tag in services.company_tags(company)]
    return form_round_trip(
        form, "ideas/propose.html",
        lambda: services.propose_idea(current_user, company, title=form.title.data,
                                      body=form.body.data, tag_ids=form.tags.data or []),
        _proposed, company=company, similar=[])


def _proposed(idea: Idea) -> Response:
    """The new idea; one held for a moderator cannot be opened yet, so its author is told
    so on the board."""
    if idea.thread.is_hidden:
        return redirect_with_message(url_for("ideas.board", slug=idea.company.slug),
                                     watched.held_notice(idea.thread.hidden_reason))
    return redirect_with_message(thread_url(idea.thread), "Your idea is posted, with your vote.")


@bp.get("/c/<slug>/ideas/similar")
def similar(slug: str) -> str:
    """Existing ideas like the one being typed (an htmx fragment for the propose form)."""
    company = get_company(slug)
    title = request.args.get("title", "")[:200]
    ideas = queries.similar(company, title)
    return render_template("ideas/_similar.html", company=company, similar=ideas,
                           voted=queries.voted_ids(current_user, ideas))


@bp.get("/c/<slug>/ideas/<int:thread_id>-<thread_slug>")
@bp.get("/c/<slug>/ideas/<int:thread_id>")
@cached_for_visitors
def idea(slug: str, thread_id: int, thread_slug: str = "") -> str | Response:
    """An idea: status and the company's latest word on top, votes, then the thread."""
    company = get_company(slug)
    thread = get_thread(current_user, company, thread_id)
    found = services.get_idea(company, thread_id)
    if thread_slug != thread.slug:
        return redirect(thread_url(thread, page=request.args.get("page", type=parse_page)), 301)
    history = queries.status_history(found)
    known = statuses.company_statuses(company.id, retired=True)
    merged_into = queries.merged_into(found)
    own = votes.own_vote(current_user, found)
    return render_thread(
        thread, "ideas/idea.html", idea=found, history=history,
        status_changes={change.post_id: change for change in history},
        status_labels=statuses.labels(known),
        merges=queries.merge_history(found), official=queries.latest_official(found),
        voters=[] if merged_into else queries.voters(found), merged_into=merged_into,
        with_voters=True,
        voted=own is not None, importance=own.importance if own else None,
        importance_levels=list(Importance),
        breakdown=priority.breakdown(found) if policy.can(
            current_user, IdeaAction.PRIORITISE, company) else None,
        estimates=priority.ESTIMATES, **_staff_panel(found, known))


def _staff_panel(idea: Idea, known: list[IdeaStatus]) -> dict[str, object]:
    """The staff panel's forms, made only for those who see the panel: a customer's page
    builds no form and reads no tag list it would not show."""
    if not policy.can(current_user, IdeaAction.CHANGE_STATUS, idea):
        return {"staff_panel": False}
    status_form = page_form(StatusForm, data={"status": idea.status})
    status_form.status.choices = statuses.choices(known)
    tags_form = page_form(TagsForm, data={"tags": [tag.id for tag in idea.tags]})
    tags_form.tags.choices = [(t.id, t.name) for t in services.company_tags(idea.company)]
    return {"staff_panel": True, "status_form": status_form, "tags_form": tags_form,
            "merge_form": page_form(MergeForm), "unmerge_form": page_form(UnmergeForm),
            "record_form": page_form(RecordVoteForm),
            "merge_candidates": _merge_candidates(idea)}


def _merge_candidates(idea: Idea) -> list[Idea]:
    """For staff: ideas of the same company that look like this one (possible duplicates)."""
    if not policy.can(current_user, IdeaAction.MERGE, idea) or idea.merged_into_id is not None:
        return []
    opening = idea.thread.title
    return queries.similar(idea.company, opening, exclude=idea)


@bp.post("/c/<slug>/ideas/<int:thread_id>/vote")
def vote(slug: str, thread_id: int) -> str | Response | tuple[str, int]:
    """Toggle the viewer's vote: in place with htmx, or a POST and redirect back."""
    # The voter, the idea and the vote are read and written in one transaction, and the
    # button below shows the idea as committed, without reading it again.
    with write_transaction(keep_loaded=True):
        found = services.find_idea(current_user, slug, thread_id)
        voted = request.form.get("action") != "retract"  # a repeated cast leaves one vote
        action = IdeaAction.VOTE if voted else IdeaAction.RETRACT_VOTE
        if policy.can(current_user, action, found).sign_in:
            target = url_for("accounts.signin", next=thread_url(found.thread))
            if wants_fragment():
                return "", 401, {"HX-Redirect": target}
            return redirect(target)
        if voted:
            votes.cast_vote(current_user, found)
        else:
            votes.retract_vote(current_user, found)
    if wants_fragment():
        button = render_template("ideas/_vote_button.html", idea=found, voted=voted,
                                 with_voters=bool(request.form.get("voters")))
        if not request.form.get("voters"):
            return button
        # On the idea page, its voter list and count follow the vote (out of band).
        return (button + render_template("ideas/_voters.html", idea=found,
                                         voters=queries.voters(found), swap_out_of_band=True)
                + render_template("ideas/_importance_slot.html", idea=found, voted=voted,
                                  importance=None, importance_levels=list(Importance),
                                  swap_out_of_band=True))
    return redirect(safe_next(request.form.get("next"), thread_url(found.thread)))


@bp.get("/c/<slug>/roadmap")
@cached_for_visitors
def roadmap(slug: str) -> str:
    """The public roadmap: the company's active statuses and recently complete ones."""
    company = get_company(slug)
    return render_template("ideas/roadmap.html", company=company,
                           columns=queries.roadmap(company))
