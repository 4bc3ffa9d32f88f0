"""The OpenAPI 3.1 document, built from the routes' declarations (forum.api.framework).

Every rule under /api/v1 whose view carries a Spec is described: its path and query
parameters, its body, its answer and the problems it may answer with. A schema with a
`title` becomes a named component, so each resource is described once.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from forum.api.framework import Spec
from forum.api.problems import API_PREFIX, PROBLEM_TYPE, TITLES
from forum.routing import MAX_ID

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
VERSION = "1.0.0"

PROBLEM = {
    "title": "Problem", "type": "object", "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details; `errors` names each field at fault.",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}},
}
EVERY_ROUTE = (401, 403, 404, 429, 503)  # a bad token, a refusal, not there, limits, the DB


def document(app: Flask) -> dict[str, Any]:
    """The whole document for `app`'s API routes."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        specs: dict[str, Spec] = getattr(app.view_functions.get(rule.endpoint), "api_specs", {})
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        for method, spec in specs.items():
            path = _ARGUMENT.sub(r"{\2}", rule.rule)
            paths.setdefault(path, {})[method.lower()] = _operation(rule.rule, spec,
                                                                    components)
    components["Problem"] = PROBLEM
    return {
        "openapi": "3.1.0",
        "info": {"title": "Cocreate API", "version": VERSION,
                 "description": "Companies, ideas, threads and posts, as the site shows "
                                "them to you. Send `Authorization: Bearer <token>` (make a "
                                "token in your settings); errors are "
                                "application/problem+json; lists are paged with "
                                "`cursor`."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A personal (cc_pat_...) or company (cc_co_...) "
                                          "token."},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The site's session, from this origin only; "
                                           "writes need the X-CSRFToken header."}}},
    }


def _hoist(schema: Any, components: dict[str, Any]) -> Any:
    """The schema with each titled sub-schema replaced by a reference to its component."""
    if isinstance(schema, list):
        return [_hoist(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    inner = {key: _hoist_each(value, components) if key == "properties"
             else value if key in ("default", "enum") else _hoist(value, components)
             for key, value in schema.items()}
    if isinstance(schema.get("title"), str):
        components[schema["title"]] = inner
        return {"$ref": f"#/components/schemas/{schema['title']}"}
    return inner


def _hoist_each(properties: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A `properties` mapping: its keys are names (one may be "title"), its values schemas."""
    return {name: _hoist(schema, components) for name, schema in properties.items()}


def _parameters(rule: str, spec: Spec) -> list[dict[str, Any]]:
    found = []
    for converter, name in _ARGUMENT.findall(rule):
        schema = ({"type": "integer", "minimum": 0, "maximum": MAX_ID} if converter == "int"
                  else {"type": "string", "minLength": 1})
        found.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, schema in spec.query.items():
        found.append({"name": name, "in": "query", "required": False, "schema": schema,
                      **({"description": schema["description"]}
                         if "description" in schema else {})})
    return found


def _problem(status: int) -> dict[str, Any]:
    return {"description": TITLES.get(status, "Error"),
            "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _operation(rule: str, spec: Spec, components: dict[str, Any]) -> dict[str, Any]:
    if spec.response is None:
        answer: dict[str, Any] = {"description": "Done"}
    else:
        schema = spec.response() if callable(spec.response) else spec.response
        answer = {"description": "OK", "content": {
            spec.media_type: {"schema": _hoist(schema, components)}}}
    responses: dict[str, Any] = {str(spec.status): answer}
    if spec.method == "GET":
        responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
    statuses = set(EVERY_ROUTE) | set(spec.errors)
    if spec.query or spec.body is not None:
        statuses.add(400)
    if spec.body is not None:
        statuses |= {413, 415}
    for status in sorted(statuses):
        responses[str(status)] = _problem(status)
    responses["default"] = _problem(500)
    operation: dict[str, Any] = {
        "operationId": spec.name, "summary": spec.summary, "tags": [spec.tag],
        "parameters": _parameters(rule, spec), "responses": responses,
        "security": [{"bearer": []}, {"session": []}] + ([] if spec.signed_in else [{}]),
        "x-token-scope": spec.scope,
    }
    if spec.description:
        operation["description"] = spec.description
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _hoist(spec.body, components)}}}
    return operation
