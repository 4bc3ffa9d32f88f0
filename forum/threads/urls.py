"""The one way to write a thread's address (at the page registered for its kind), and
a company's."""

from __future__ import annotations

from flask import current_app, has_request_context, request

from forum.hooks import hooks_of


def path_for(endpoint: str, values: dict[str, object]) -> str:
    """An endpoint's path (and query), from the URL map rather than `url_for`, so that it
    is the same inside a request and outside one (search, the CLI, a merge note, mail)."""
    script_root = request.script_root if has_request_context() else ""
    adapter = current_app.url_map.bind("", script_name=script_root or "/")
    return adapter.build(endpoint, values)


def thread_path(company_slug: str, thread_id: int, slug: str, kind: str,
                **params: object) -> str:
    """A thread's path (and query)."""
    values = {"slug": company_slug, "thread_id": thread_id, "thread_slug": slug,
              **{name: value for name, value in params.items() if value is not None}}
    return path_for(hooks_of().thread_endpoint(kind), values)


def company_path(company_slug: str) -> str:
    """A company's page."""
    return path_for("companies.company", {"slug": company_slug})
