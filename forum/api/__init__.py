"""The JSON API under /api/v1: tokens, problem answers, cursors and the OpenAPI document.

Forum's resources (companies, threads, posts, the signed-in person) are in
`forum.api.resources`; a plug-in declares its own with `forum.api.framework.endpoint` on a
blueprint made by `api_blueprint` and registers it like any other. Each route is declared
once: the declaration validates the request and is the route's part of the document.
"""
