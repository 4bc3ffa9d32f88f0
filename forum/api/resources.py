"""Forum's API resources: the caller, companies, threads and posts.

Each view calls the same services and queries as the pages do; what the caller may not
see answers 404 as if it did not exist, and lists leave it out.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import policy
from forum.accounts.models import User
from forum.api.framework import (
    DATE,
    MAYBE_DATE,
    acting_user,
    api_blueprint,
    company_at,
    endpoint,
    iso,
    keyset_page,
    page_of,
    page_query,
    require_scope,
)
from forum.api.openapi import document
from forum.companies.models import Company
from forum.companies.services import listed_companies
from forum.threads import posting
from forum.threads.models import Post, Thread
from forum.threads.queries import forum_threads, get_post, get_thread
from forum.threads.urls import company_path, thread_path

bp = api_blueprint("api", __name__)

ID = {"type": "integer", "minimum": 1}
TEXT = {"type": "string"}
PERSON = {"title": "Person", "type": "object", "additionalProperties": False,
          "required": ["username", "display_name"],
          "properties": {"username": TEXT, "display_name": TEXT}}
COMPANY = {"title": "Company", "type": "object", "additionalProperties": False,
           "required": ["slug", "name", "tagline", "description", "website", "private",
                        "url"],
           "properties": {"slug": TEXT, "name": TEXT, "tagline": TEXT, "description": TEXT,
                          "website": TEXT, "private": {"type": "boolean"},
                          "url": {"type": "string", "description": "Its page on the site."}}}
THREAD = {"title": "Thread", "type": "object", "additionalProperties": False,
          "required": ["id", "kind", "title", "author", "state", "pinned", "post_count",
                       "created_at", "last_posted_at", "url"],
          "properties": {"id": ID, "kind": TEXT, "title": TEXT, "author": PERSON,
                         "state": TEXT, "pinned": {"type": "boolean"},
                         "post_count": {"type": "integer"}, "created_at": DATE,
                         "last_posted_at": DATE, "url": TEXT}}
POST = {"title": "Post", "type": "object", "additionalProperties": False,
        "required": ["id", "number", "author", "official", "hidden", "body", "body_html",
                     "created_at", "edited_at"],
        "properties": {"id": ID, "number": {"type": "integer"}, "author": PERSON,
                       "official": {"type": "boolean"}, "hidden": {"type": "boolean"},
                       "body": {"type": ["string", "null"],
                                "description": "Markdown; null when removed."},
                       "body_html": {"type": ["string", "null"]},
                       "created_at": DATE, "edited_at": MAYBE_DATE}}
BODY_TEXT = {"type": "string", "minLength": 1, "maxLength": 50_000}
POST_BODY = {"type": "object", "additionalProperties": False, "required": ["body"],
             "properties": {"body": BODY_TEXT}}
REPLY_BODY = {"type": "object", "additionalProperties": False, "required": ["body"],
              "properties": {"body": BODY_TEXT, "official": {
                  "type": "boolean", "default": False,
                  "description": "Post as the company: its staff only, as on the site (and "
                                 "with a token, one with the staff scope)."}}}


def person(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name}


def company_resource(company: Company) -> dict[str, Any]:
    return {"slug": company.slug, "name": company.name, "tagline": company.tagline,
            "description": company.description, "website": company.website,
            "private": company.is_private,
            "url": request.host_url.rstrip("/") + company_path(company.slug)}


def thread_resource(thread: Thread) -> dict[str, Any]:
    return {"id": thread.id, "kind": thread.kind, "title": thread.title,
            "author": person(thread.author), "state": thread.state, "pinned": thread.pinned,
            "post_count": thread.post_count, "created_at": iso(thread.created_at),
            "last_posted_at": iso(thread.last_posted_at),
            "url": request.host_url.rstrip("/") + thread_path(
                thread.company.slug, thread.id, thread.slug, thread.kind)}


def post_resource(post: Post) -> dict[str, Any]:
    shown = not post.is_hidden or bool(policy.can(current_user, policy.Action.SEE_HIDDEN_POST,
                                                  post))
    return {"id": post.id, "number": post.number, "author": person(post.author),
            "official": post.official, "hidden": post.is_hidden,
            "body": post.body_source if shown else None,
            "body_html": post.body_html if shown else None,
            "created_at": iso(post.created_at), "edited_at": iso(post.edited_at)}


@endpoint(bp, "/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", tag="About",
          response={"type": "object"})
def openapi() -> dict[str, Any]:
    return document(current_app)


@endpoint(bp, "/docs", "GET", summary="This reference, as a page to read", tag="About",
          response={"type": "string"}, media_type="text/html")
def docs() -> Response:
    return Response(render_template("api/docs.html", doc=document(current_app)),
                    mimetype="text/html")


@endpoint(bp, "/me", "GET", summary="Who the token or session acts as", tag="About",
          signed_in=True,
          response={"title": "Me", "type": "object", "additionalProperties": False,
                    "required": ["username", "display_name", "token"],
                    "properties": {**PERSON["properties"], "token": {
                        "type": ["object", "null"], "additionalProperties": False,
                        "required": ["name", "scopes", "company"],
                        "properties": {"name": TEXT, "scopes": {"type": "array",
                                                                "items": TEXT},
                                       "company": {"type": ["string", "null"]}}}}})
def me() -> dict[str, Any]:
    token = g.get("api_token")
    about = None if token is None else {
        "name": token.name, "scopes": sorted(token.scope_set),
        "company": token.company.slug if token.company else None}
    return {**person(acting_user()), "token": about}


@endpoint(bp, "/companies", "GET", summary="Companies you may see", tag="Companies",
          query=page_query(), response=page_of(COMPANY, "CompanyPage"))
def companies(query: dict[str, Any]) -> dict[str, Any]:
    rows, cursor = keyset_page(listed_companies(current_user), Company.id, Company.id, query,
                               tag="companies", descending=False,
                               key_of=lambda company: (company.id, company.id))
    return {"items": [company_resource(company) for company in rows], "next_cursor": cursor}


@endpoint(bp, "/companies/<slug>", "GET", summary="One company", tag="Companies",
          response=COMPANY)
def company(slug: str) -> dict[str, Any]:
    return company_resource(company_at(slug))


@endpoint(bp, "/companies/<slug>/threads", "GET", tag="Threads",
          summary="A company's discussions, most recently active first",
          query=page_query(), response=page_of(THREAD, "ThreadPage"))
def threads(slug: str, query: dict[str, Any]) -> dict[str, Any]:
    found = company_at(slug)
    rows, cursor = keyset_page(forum_threads(found), Thread.last_posted_at, Thread.id, query,
                               tag="threads", key_of=lambda t: (t.last_posted_at, t.id))
    return {"items": [thread_resource(thread) for thread in rows], "next_cursor": cursor}


@endpoint(bp, "/companies/<slug>/threads/<int:thread_id>", "GET", tag="Threads",
          summary="One thread (of any kind, ideas' too)", response=THREAD)
def thread(slug: str, thread_id: int) -> dict[str, Any]:
    return thread_resource(get_thread(current_user, company_at(slug), thread_id))


@endpoint(bp, "/companies/<slug>/threads/<int:thread_id>/posts", "GET", tag="Threads",
          summary="A thread's posts, in order", query=page_query(),
          response=page_of(POST, "PostPage"))
def posts(slug: str, thread_id: int, query: dict[str, Any]) -> dict[str, Any]:
    found = get_thread(current_user, company_at(slug), thread_id)
    statement = select(Post).where(Post.thread_id == found.id).options(
        joinedload(Post.author))
    rows, cursor = keyset_page(statement, Post.number, Post.id, query, tag=f"posts{found.id}",
                               descending=False, key_of=lambda p: (p.number, p.id))
    return {"items": [post_resource(post) for post in rows], "next_cursor": cursor}


@endpoint(bp, "/companies/<slug>/threads/<int:thread_id>/posts/<int:post_id>", "GET",
          tag="Threads", summary="One post", response=POST)
def post(slug: str, thread_id: int, post_id: int) -> dict[str, Any]:
    found = get_thread(current_user, company_at(slug), thread_id)
    return post_resource(get_post(found, post_id))


@endpoint(bp, "/companies/<slug>/threads/<int:thread_id>/posts", "POST", tag="Threads",
          summary="Reply to a thread", scope="write", signed_in=True, body=REPLY_BODY,
          status=201, response=POST, errors=(409,))
def reply(slug: str, thread_id: int, body: dict[str, Any]) -> dict[str, Any]:
    found = get_thread(current_user, company_at(slug), thread_id)
    official = body.get("official", False)
    if official and policy.can(acting_user(), policy.Action.POST_OFFICIAL, found.company):
        require_scope("staff")  # answering for the company is a staff action for a token
    # The service asks the policy whether they may post as the company, as the form does.
    return post_resource(posting.post_reply(acting_user(), found, body["body"],
                                            official=official))


@endpoint(bp, "/companies/<slug>/threads/<int:thread_id>/posts/<int:post_id>", "PATCH",
          tag="Threads", summary="Edit a post (its author, or the company's moderators)",
          scope="write", signed_in=True, body=POST_BODY, response=POST)
def edit(slug: str, thread_id: int, post_id: int, body: dict[str, Any]) -> dict[str, Any]:
    found = get_thread(current_user, company_at(slug), thread_id)
    return post_resource(posting.edit_post(acting_user(), get_post(found, post_id),
                                           body["body"]))
