"""Web basics: security headers, CSRF, error pages, health, static assets."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.accounts.models import User
from forum.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import csrf_token


def test_pages_carry_security_headers_and_a_strict_csp(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/", "/signin", "/signup", "/nope"])
def test_no_inline_script_anywhere(client, path):
    page = client.get(path).get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts, "the layout loads htmx and app.js"
    assert all("src=" in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=", page)


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    make_user("alice")
    response = client.post("/signin", data={"login": "alice", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused_kindly(app, app_factory):
    client = app_factory(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/signup", data={"username": "alice", "email": "a@example.com",
                                            "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id)) is None


def test_htmx_requests_send_the_csrf_token_in_a_header(app, app_factory):
    client = app_factory(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token(client.get("/signup").get_data(as_text=True))
    response = client.post(
        "/signup", data={"username": "alice", "email": "a@example.com", "password": PASSWORD},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(User.username)) == "alice"


def test_friendly_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "Go to the start page" in page


def test_friendly_405_and_500_pages(app_factory):
    app = app_factory()

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    client = app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)
    assert client.get("/signout").status_code == 405


def test_htmx_error_is_a_short_message_not_a_page(client):
    response = client.get("/c/none", headers={"HX-Request": "true"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "<html" not in body and "no company at that address" in body


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "search": "missing"}


def test_healthz_reports_a_broken_database(app_factory, tmp_path):
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_vendored_htmx_is_served_from_our_own_origin(client):
    response = client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert b'version:"2.0.' in response.data
    response.close()


def test_layout_works_on_a_phone(client):
    page = client.get("/").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert 'class="skip-link"' in page
