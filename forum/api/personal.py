"""The signed-in person's notifications and home, and search, in the JSON API.

Both lean on forum's own queries, which already leave out what the caller may not see
(private spaces they are not part of, hidden things)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import abort, json
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from forum.api.framework import (
    DATE,
    DEFAULT_LIMIT,
    Schema,
    acting_user,
    api_blueprint,
    endpoint,
    fail,
    iso,
    make_cursor,
    page_of,
    page_query,
    read_cursor,
)
from forum.api.problems import problem
from forum.api.resources import COMPANY, ID, TEXT, company_resource
from forum.hooks import hooks_of
from forum.notifications.queries import HOME_NEWS, NotificationPage, notification_page
from forum.notifications.services import followed_companies, unread_count
from forum.search import services as search
from forum.search.params import read_form, run_search
from forum.search.services import SORTS, SearchUnavailable, kind_choices
from forum.threads.urls import thread_path

NOTIFICATION = {
    "title": "Notification", "type": "object", "additionalProperties": False,
    "required": ["ids", "type", "reason", "created_at", "unread", "actors", "thread"],
    "properties": {"ids": {"type": "array", "items": ID}, "type": TEXT, "reason": TEXT,
                   "created_at": DATE, "unread": {"type": "boolean"},
                   "actors": {"type": "array", "items": TEXT},
                   "thread": {"type": ["object", "null"], "additionalProperties": False,
                              "required": ["id", "title", "company", "url"],
                              "properties": {"id": ID, "title": TEXT, "company": TEXT,
                                             "url": TEXT}}}}
HIT = {"title": "SearchHit", "type": "object", "additionalProperties": False,
       "required": ["thread_id", "title", "company", "kind", "status", "votes",
                    "reply_count", "created_at", "url"],
       "properties": {"thread_id": ID, "title": TEXT, "company": TEXT, "kind": TEXT,
                      "status": {"type": ["string", "null"]}, "votes": {"type": "integer"},
                      "reply_count": {"type": "integer"}, "created_at": DATE, "url": TEXT}}
SEARCH_PAGE_SIZE = 20

bp = api_blueprint("api_personal", __name__)


@endpoint(bp, "/me/notifications", "GET", tag="You", signed_in=True,
          summary="Your notifications, newest first (a run about one thing is one item)",
          query=page_query(), response=page_of(NOTIFICATION, "NotificationPage"))
def notifications(query: dict[str, Any]) -> dict[str, Any]:
    before = read_cursor(query, "notifications", 1)
    if before is not None and not isinstance(before[0], int):
        fail(400, "That cursor is not one this list gave.", "cursor")
    page = notification_page(acting_user(), before[0] if before else None,
                             per_page=query.get("limit", DEFAULT_LIMIT))
    return notification_list(page)


def notification_list(page: NotificationPage) -> dict[str, Any]:
    """A page of notifications, with the cursor /me/notifications continues from."""
    items = [{"ids": item.ids, "type": item.event_type, "reason": item.reason,
              "created_at": iso(item.created_at), "unread": item.unread,
              "actors": item.actors,
              "thread": None if item.thread is None else {
                  "id": item.thread.id, "title": item.thread.title,
                  "company": item.thread.company.slug,
                  "url": thread_path(item.thread.company.slug, item.thread.id,
                                     item.thread.slug, item.thread.kind)}}
             for item in page.items]
    cursor = make_cursor("notifications", page.next_before) if page.next_before else None
    return {"items": items, "next_cursor": cursor}


def home_schema() -> Schema:
    """/me/home's answer in this app: forum's parts and each plug-in's section."""
    sections = hooks_of().home_sections
    return {"title": "Home", "type": "object", "additionalProperties": False,
            "required": ["unread", "news", "companies", "sections"],
            "properties": {
                "unread": {"type": "integer", "minimum": 0,
                           "description": "Unread notifications: the bell's number."},
                "news": page_of(NOTIFICATION, "NotificationPage"),
                "companies": {"type": "array", "items": COMPANY,
                              "description": "The companies you follow, by name."},
                "sections": {"type": "object", "additionalProperties": False,
                             "required": sorted(sections),
                             "properties": {key: dict(section.schema)
                                            for key, section in sorted(sections.items())}}}}


@endpoint(bp, "/me/home", "GET", tag="You", signed_in=True,
          summary="Your home: what the /home page shows you",
          description="Your unread count, the latest news (its next_cursor continues at "
                      "/me/notifications), the companies you follow, and the sections the "
                      "site's parts add, each as the page shows it and only of the "
                      "companies you may see.",
          response=home_schema)
def home() -> dict[str, Any]:
    user = acting_user()
    return {"unread": unread_count(user),
            "news": notification_list(notification_page(user, per_page=HOME_NEWS)),
            "companies": [company_resource(company) for company in followed_companies(user)],
            "sections": {key: section.build(user)
                         for key, section in sorted(hooks_of().home_sections.items())}}


SEARCH_QUERY: dict[str, Schema] = {
    "q": {"type": "string", "minLength": 1, "maxLength": 200,
          "description": "Words, \"a phrase\", -excluded; may be left out when filtering."},
    "company": {"type": "string", "maxLength": 40, "description": "A company's slug."},
    "kind": {"type": "string", "enum": [kind for kind, _label in kind_choices()]},
    "status": {"type": "string", "pattern": "^[a-z_]{1,20}$",
               "description": "A status key: the company's own with `company`, else one "
                              "every company starts with."},
    "tag": {"type": "string", "maxLength": 40},
    "author": {"type": "string", "maxLength": 30, "description": "A username."},
    "date_from": {"type": "string", "format": "date", "description": "YYYY-MM-DD, inclusive."},
    "date_to": {"type": "string", "format": "date", "description": "YYYY-MM-DD, inclusive."},
    "sort": {"type": "string", "enum": list(SORTS), "default": "relevance"},
    "cursor": page_query()["cursor"],
}
SEARCH_FORM_FIELDS = ("q", "kind", "status", "tag", "author", "date_from", "date_to", "sort")


@endpoint(bp, "/search", "GET", tag="Search", summary="Search threads and posts",
          description="With the search page's filters; only what you may see comes back.",
          query=SEARCH_QUERY, response=page_of(HIT, "SearchPage"), errors=(503,))
def search_threads(query: dict[str, Any]) -> dict[str, Any]:
    company_id = None
    if "company" in query:
        company = search.company_by_slug(query["company"], current_user)
        if company is None:
            fail(400, "There is no such company to search.", "company")
        company_id = company.id
    # The search page's own form reads and checks the filters, with its messages.
    form = read_form(MultiDict({name: query[name] for name in SEARCH_FORM_FIELDS
                                if name in query}), company_id=company_id)
    if form.errors:
        abort(problem(400, next(iter(form.errors.values())), errors=[
            {"field": name, "message": message} for name, message in form.errors.items()]))
    if not form.q.strip() and not form.filtered and company_id is None:
        fail(400, "Say what to search for in 'q', or filter.", "q")
    tag = "search:" + hashlib.sha256(json.dumps([company_id, form.args()]).encode()).hexdigest()
    page_number = (read_cursor(query, tag, 1) or [1])[0]
    if not isinstance(page_number, int) or page_number < 1:
        fail(400, "That cursor is not one this list gave.", "cursor")
    form.page = str(page_number)
    try:
        results = run_search(form, company_id, current_user, per_page=SEARCH_PAGE_SIZE)
    except SearchUnavailable:
        fail(503, "Search is being rebuilt. Try again in a minute.",
             headers={"Retry-After": "60"})
    items = [{"thread_id": hit.thread_id, "title": hit.title, "company": hit.company_slug,
              "kind": hit.kind, "status": hit.status, "votes": hit.votes,
              "reply_count": hit.reply_count, "created_at": iso(hit.created_at),
              "url": hit.url} for hit in results.hits]
    cursor = make_cursor(tag, page_number + 1) if results.has_next else None
    return {"items": items, "next_cursor": cursor}
