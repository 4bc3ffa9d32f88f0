"""forum/forms.py's round trip of a form page, on a page of its own that saves categories.

The service below writes a real category (and its event) and then refuses when the name
asks it to, so a refusal that left anything behind would show in the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from flask import Blueprint, Flask, render_template
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import write_transaction
from forum.errors import Conflict, NotAllowed
from forum.events.models import Event
from forum.extensions import db
from forum.forms import Form, answer, form_round_trip, redirect_with_message, submit
from forum.threads import categories
from forum.threads.models import Category

HTMX = {"HX-Request": "true"}
TEMPLATES = {
    "test_forms/page.html": '{% extends "base.html" %}{% block content %}'
                            '<h1>New category</h1>{% include "test_forms/_form.html" %}'
                            '{% endblock %}',
    "test_forms/_form.html": '{% from "_macros.html" import field, form_errors %}'
                             '<section id="category-form">{{ form_errors(form) }}'
                             '<form method="post" novalidate>{{ form.csrf_token }}'
                             '{{ field(form.name) }}{{ field(form.slug) }}</form></section>',
}
REFUSALS: dict[str, Callable[[], Exception]] = {
    "Refused slug": lambda: Conflict("That slug is taken.", field="slug"),
    "Refused person": lambda: NotAllowed("You may not add categories today."),
    "Broken": lambda: RuntimeError("a bug, not a refusal"),
}


class CategoryForm(Form):
    name = StringField("Name", validators=[DataRequired()])
    slug = StringField("Slug", validators=[DataRequired()])


def add_category(actor_id: int, company_id: int, name: str, slug: str) -> Category:
    """Saves the category, then refuses when its name says so: after the write."""
    with write_transaction():
        company = db.session.get(Company, company_id)
        category = categories.save_category(db.session.get(User, actor_id), company,
                                            name=name, slug=slug)
        if name in REFUSALS:
            raise REFUSALS[name]()
    return category


def form_pages(actor_id: int, company_id: int) -> Blueprint:
    bp = Blueprint("test_forms", __name__)

    def saved(category: Category) -> ResponseReturnValue:
        return redirect_with_message(f"/c/{category.company.slug}/forum",
                                     f"Category {category.name} saved.")

    @bp.route("/test/categories", methods=["GET", "POST"])
    def round_trip() -> ResponseReturnValue:
        form = CategoryForm()
        return form_round_trip(
            form, "test_forms/page.html",
            lambda: add_category(actor_id, company_id, form.name.data, form.slug.data),
            saved, fragment="test_forms/_form.html", target="#category-form")

    @bp.post("/test/categories/in-one-transaction")
    def in_one_transaction() -> ResponseReturnValue:
        """As the reply view: the view's transaction holds the form and its service."""
        form = CategoryForm()
        with write_transaction(keep_loaded=True):
            submission = submit(form, lambda: add_category(actor_id, company_id,
                                                           form.name.data, form.slug.data))
        return answer(submission, lambda: render_template("test_forms/page.html", form=form),
                      saved)

    return bp


@pytest.fixture
def company(make_company: Callable[..., Company]) -> Company:
    return make_company("acme")


@pytest.fixture
def form_app(app: Flask, admin: User, company: Company) -> Flask:
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    app.register_blueprint(form_pages(admin.id, company.id))
    return app


@pytest.fixture
def client(form_app: Flask) -> FlaskClient:
    return form_app.test_client()


def field_with_error(html: str, name: str) -> str:
    """The markup of the field `name` when it shows an error (the `field` macro's div)."""
    for block in re.findall(r'<div class="field has-error">(.*?)</div>', html, re.S):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no error shown next to {name}")


def saved_rows(company: Company) -> tuple[int, int]:
    """(categories, their events) of the company, as committed."""
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(Category)
                              .where(Category.company_id == company.id)),
            db.session.scalar(select(func.count()).select_from(Event)
                              .where(Event.type.like("category.%"))))


def test_the_form_is_shown_with_200(client: FlaskClient) -> None:
    response = client.get("/test/categories")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>New category</h1>" in html and 'name="slug"' in html
    assert "has-error" not in html


def test_invalid_input_is_422_with_the_message_next_to_its_field(
    client: FlaskClient, company: Company,
) -> None:
    response = client.post("/test/categories", data={"name": "Help", "slug": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required." in field_with_error(html, "slug")
    assert 'value="Help"' in html  # what was typed stays
    assert saved_rows(company) == (0, 0)


def test_the_services_refusal_is_shown_next_to_its_field_and_nothing_is_saved(
    client: FlaskClient, company: Company,
) -> None:
    response = client.post("/test/categories", data={"name": "Refused slug", "slug": "help"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That slug is taken." in field_with_error(html, "slug")
    assert 'value="Refused slug"' in html
    assert saved_rows(company) == (0, 0)


def test_a_refusal_of_the_person_keeps_its_status_and_shows_on_top(
    client: FlaskClient, company: Company,
) -> None:
    response = client.post("/test/categories", data={"name": "Refused person", "slug": "p"})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert re.search(r'class="alert alert-error" role="alert"><p>You may not add categories '
                     r"today.</p>", html)
    assert "has-error" not in html
    assert saved_rows(company) == (0, 0)


def test_success_redirects_and_says_what_was_done(client: FlaskClient,
                                                 company: Company) -> None:
    response = client.post("/test/categories", data={"name": "Help", "slug": "help"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/c/acme/forum"
    assert "Category Help saved." in client.get("/c/acme/forum").get_data(as_text=True)
    assert saved_rows(company) == (1, 1)


def test_htmx_gets_the_form_alone_swapped_over_itself(client: FlaskClient) -> None:
    response = client.post("/test/categories", data={"name": "Refused slug", "slug": "help"},
                           headers=HTMX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.startswith('<section id="category-form">') and "<h1>" not in html
    assert "That slug is taken." in field_with_error(html, "slug")
    assert response.headers["HX-Retarget"] == "#category-form"
    assert response.headers["HX-Reswap"] == "outerHTML"


def test_a_boosted_request_gets_the_whole_page(client: FlaskClient) -> None:
    response = client.post("/test/categories", data={"name": "Refused slug", "slug": "help"},
                           headers={**HTMX, "HX-Boosted": "true"})
    assert response.status_code == 422
    assert "<h1>New category</h1>" in response.get_data(as_text=True)
    assert "HX-Retarget" not in response.headers


def test_a_bug_in_the_service_is_an_error_not_a_form_message(
    client: FlaskClient, company: Company, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.post("/test/categories", data={"name": "Broken", "slug": "b"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html and "a bug" not in html
    assert any(record.exc_info and isinstance(record.exc_info[1], RuntimeError)
               for record in caplog.records)
    assert saved_rows(company) == (0, 0)


@pytest.mark.parametrize(("name", "status"), [("Refused slug", 422), ("Refused person", 403)])
def test_a_refusal_inside_the_views_own_transaction_saves_nothing(
    client: FlaskClient, company: Company, name: str, status: int,
) -> None:
    response = client.post("/test/categories/in-one-transaction",
                           data={"name": name, "slug": "help"})
    assert response.status_code == status
    assert saved_rows(company) == (0, 0)


def test_inside_the_views_own_transaction_success_is_saved(client: FlaskClient,
                                                          company: Company) -> None:
    response = client.post("/test/categories/in-one-transaction",
                           data={"name": "Help", "slug": "help"})
    assert response.status_code == 302
    assert saved_rows(company) == (1, 1)

