"""Ideas in the JSON API: the board with its sorts and filters, one idea, proposing,
voting, the staff's status, tags, merge and unmerge, and the person's ideas on their
home. Registered by `ideas.init_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user

from forum.accounts.models import User
from forum.api.framework import (
    DATE,
    acting_user,
    api_blueprint,
    company_at,
    endpoint,
    iso,
    keyset_page,
    page_of,
    page_query,
)
from forum.api.resources import ID, PERSON, TEXT, person
from forum.companies.models import Company
from forum.database import write_transaction
from forum.errors import Invalid, NotFound
from forum.threads.urls import thread_path
from ideas import merging, queries, services, statuses, votes
from ideas.models import Idea, Tag

bp = api_blueprint("ideas_api", __name__)

IDEA = {"title": "Idea", "type": "object", "additionalProperties": False,
        "required": ["id", "title", "status", "status_label", "vote_count", "voted", "tags",
                     "author", "created_at", "merged_into", "url"],
        "properties": {"id": {**ID, "description": "Its thread's id, as in its address."},
                       "title": TEXT, "status": TEXT, "status_label": TEXT,
                       "vote_count": {"type": "integer"}, "voted": {"type": "boolean"},
                       "tags": {"type": "array", "items": TEXT}, "author": PERSON,
                       "created_at": DATE, "merged_into": {"type": ["integer", "null"]},
                       "url": TEXT}}
TAG_SLUGS = {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20,
             "uniqueItems": True}
PROPOSAL = {"type": "object", "additionalProperties": False, "required": ["title", "body"],
            "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200},
                           "body": {"type": "string", "maxLength": 50_000},
                           "tags": TAG_SLUGS}}
NOTE = {"type": "string", "maxLength": services.MAX_NOTE}
STATUS_CHANGE = {"type": "object", "additionalProperties": False, "required": ["status"],
                 "properties": {"status": {"type": "string", "maxLength": 40}, "note": NOTE}}
TAGGING = {"type": "object", "additionalProperties": False, "required": ["tags"],
           "properties": {"tags": TAG_SLUGS}}
MERGE = {"type": "object", "additionalProperties": False, "required": ["into"],
         "properties": {"into": {**ID, "maximum": 2**31 - 1}, "note": NOTE}}
UNMERGE = {"type": "object", "additionalProperties": False, "properties": {"note": NOTE}}
IDEA_PATH = "/companies/<slug>/ideas/<int:idea_id>"
HOME_IDEA = {"title": "HomeIdea", "type": "object", "additionalProperties": False,
             "required": ["id", "title", "company", "status", "status_label", "vote_count",
                          "merged", "url"],
             "properties": {"id": {**ID, "description": "Its thread's id, as in its address."},
                            "title": TEXT, "company": {**TEXT, "description": "Its slug."},
                            "status": TEXT, "status_label": TEXT,
                            "vote_count": {"type": "integer"}, "merged": {"type": "boolean"},
                            "url": TEXT}}
HOME_IDEAS = {"title": "HomeIdeas", "type": "object", "additionalProperties": False,
              "required": ["proposed", "supported"],
              "description": "What you proposed (newest first) and support (latest vote "
                             "first), the 20 latest of each, as your home page shows them.",
              "properties": {"proposed": {"type": "array", "items": HOME_IDEA},
                             "supported": {"type": "array", "items": HOME_IDEA}}}


def idea_resources(company: Company, ideas: list[Idea]) -> list[dict[str, Any]]:
    """Ideas of one company as the API shows them: one query for the viewer's votes."""
    labels = statuses.labels(statuses.company_statuses(company.id, retired=True))
    voted = queries.voted_ids(current_user, ideas)
    return [{"id": idea.thread_id, "title": idea.thread.title, "status": idea.status,
             "status_label": labels.get(idea.status, idea.status),
             "vote_count": idea.vote_count, "voted": idea.id in voted,
             "tags": sorted(tag.slug for tag in idea.tags), "author": person(idea.thread.author),
             "created_at": iso(idea.created_at), "merged_into": _merged_into(idea),
             "url": thread_path(company.slug, idea.thread_id, idea.thread.slug,
                                idea.thread.kind)}
            for idea in ideas]


def _merged_into(idea: Idea) -> int | None:
    target = queries.merged_into(idea)
    return target.thread_id if target is not None else None


def _one(idea: Idea) -> dict[str, Any]:
    return idea_resources(idea.company, [idea])[0]


def _tag_ids(company: Company, slugs: list[str]) -> list[int]:
    known = {tag.slug: tag.id for tag in services.company_tags(company)}
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        raise Invalid(f"{company.name} has no tag {unknown[0]!r}.", field="tags")
    return [known[slug] for slug in slugs]


def _idea(slug: str, idea_id: int) -> Idea:
    company_at(slug)
    return services.find_idea(current_user, slug, idea_id)


@endpoint(bp, "/companies/<slug>/ideas", "GET", tag="Ideas",
          summary="A company's ideas board, with the board's sorts and filters",
          query=page_query(sort={"type": "string", "enum": list(queries.SORTS),
                                 "default": "trending"},
                           status={"type": "string", "maxLength": 40,
                                   "description": "A status key of the company."},
                           tag={"type": "string", "maxLength": 40,
                                "description": "A tag slug of the company."}),
          response=page_of(IDEA, "IdeaPage"))
def board(slug: str, query: dict[str, Any]) -> dict[str, Any]:
    company = company_at(slug)
    sort = query.get("sort", "trending")
    status = query.get("status")
    if status is not None and status not in {row.key for row in statuses.company_statuses(
            company.id, retired=True)}:
        raise Invalid(f"{company.name} has no status {status!r}.", field="status")
    tag: Tag | None = None
    if "tag" in query:
        tag = next((t for t in services.company_tags(company) if t.slug == query["tag"]), None)
        if tag is None:
            raise Invalid(f"{company.name} has no tag {query['tag']!r}.", field="tag")
    key = queries.SORT_KEYS[sort]
    rows, cursor = keyset_page(
        queries.board_ideas(company, sort=sort, status=status, tag=tag), key, Idea.id, query,
        tag=f"ideas-{sort}",
        key_of=lambda idea: (idea.thread.last_posted_at if sort == "active"
                             else getattr(idea, key.key), idea.id))
    return {"items": idea_resources(company, rows), "next_cursor": cursor}


@endpoint(bp, "/companies/<slug>/ideas", "POST", tag="Ideas", summary="Propose an idea",
          description="Your vote is added to it, as on the site.", scope="write",
          signed_in=True, body=PROPOSAL, status=201, response=IDEA)
def propose(slug: str, body: dict[str, Any]) -> dict[str, Any]:
    company = company_at(slug)
    idea = services.propose_idea(acting_user(), company, title=body["title"],
                                 body=body["body"],
                                 tag_ids=_tag_ids(company, body.get("tags", [])))
    return _one(idea)


@endpoint(bp, IDEA_PATH, "GET", tag="Ideas", summary="One idea", response=IDEA)
def idea(slug: str, idea_id: int) -> dict[str, Any]:
    return _one(_idea(slug, idea_id))


@endpoint(bp, IDEA_PATH + "/vote", "POST", tag="Ideas", summary="Vote for an idea",
          description="Voting twice leaves one vote.", scope="write", signed_in=True,
          response=IDEA)
def vote(slug: str, idea_id: int) -> dict[str, Any]:
    return _voting(slug, idea_id, votes.cast_vote)


@endpoint(bp, IDEA_PATH + "/vote", "DELETE", tag="Ideas", summary="Take your vote back",
          scope="write", signed_in=True, response=IDEA)
def unvote(slug: str, idea_id: int) -> dict[str, Any]:
    return _voting(slug, idea_id, votes.retract_vote)


def _voting(slug: str, idea_id: int, service: Callable[[User, Idea], bool]) -> dict[str, Any]:
    """As the vote button does: the idea is read and voted on in one transaction."""
    with write_transaction(keep_loaded=True):
        found = _idea(slug, idea_id)
        service(acting_user(), found)
    return _one(found)


@endpoint(bp, IDEA_PATH + "/status", "POST", tag="Ideas (staff)",
          summary="Change an idea's status, with a public note", scope="staff",
          signed_in=True, body=STATUS_CHANGE, response=IDEA, errors=(409,))
def change_status(slug: str, idea_id: int, body: dict[str, Any]) -> dict[str, Any]:
    found = _idea(slug, idea_id)
    services.change_status(acting_user(), found, body["status"], body.get("note", ""))
    return _one(found)


@endpoint(bp, IDEA_PATH + "/tags", "PUT", tag="Ideas (staff)",
          summary="Set an idea's tags", scope="staff", signed_in=True, body=TAGGING,
          response=IDEA)
def set_tags(slug: str, idea_id: int, body: dict[str, Any]) -> dict[str, Any]:
    found = _idea(slug, idea_id)
    services.set_idea_tags(acting_user(), found, _tag_ids(found.company, body["tags"]))
    return _one(found)


@endpoint(bp, IDEA_PATH + "/merge", "POST", tag="Ideas (staff)",
          summary="Merge a duplicate into another idea of the company", scope="staff",
          signed_in=True, body=MERGE, response=IDEA, errors=(409,))
def merge(slug: str, idea_id: int, body: dict[str, Any]) -> dict[str, Any]:
    found = _idea(slug, idea_id)
    try:
        into = services.find_idea(current_user, slug, body["into"])
    except NotFound:
        raise Invalid("There is no such idea at this company to merge into.",
                      field="into") from None
    merging.merge_ideas(acting_user(), found, into, body.get("note", ""))
    return _one(found)


@endpoint(bp, IDEA_PATH + "/unmerge", "POST", tag="Ideas (staff)",
          summary="Undo a merge: each idea gets back its voters, followers and tags",
          description="As the idea page's unmerge button: a vote taken back since the merge "
                      "stays taken back, and the idea gets its status from before the merge. "
                      "Send `{}` or a public `note`.",
          scope="staff", signed_in=True, body=UNMERGE, response=IDEA, errors=(409,))
def unmerge(slug: str, idea_id: int, body: dict[str, Any]) -> dict[str, Any]:
    found = _idea(slug, idea_id)
    merging.unmerge_idea(acting_user(), found, body.get("note", ""))
    return _one(found)


def home_ideas(user: User) -> dict[str, Any]:
    """/me/home's ideas: the two lists the home page's profile section shows, from the
    same queries, so nothing of a space the person may not see."""
    return {"proposed": [_home_idea(idea) for idea in queries.user_ideas(user, user)],
            "supported": [_home_idea(idea) for idea in queries.user_votes(user, user)]}


def _home_idea(idea: Idea) -> dict[str, Any]:
    return {"id": idea.thread_id, "title": idea.thread.title, "company": idea.company.slug,
            "status": idea.status, "status_label": idea.status_label,
            "vote_count": idea.vote_count, "merged": idea.merged_into_id is not None,
            "url": thread_path(idea.company.slug, idea.thread_id, idea.thread.slug,
                               idea.thread.kind)}
