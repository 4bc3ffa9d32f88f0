"""Ids and pages read from requests: the `int` converter, `parse_id`, `IdField`, the base form."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask, url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from wtforms import StringField
from wtforms.validators import DataRequired

import forum
from forum.forms import FILE_MESSAGE, Form, IdField
from forum.pagination import MAX_PAGE
from forum.routing import MAX_ID, configure_routing, parse_id, parse_page

NOT_IDS = [
    "", " 1", "1 ", "1\n", "+1", "-1", "1.0", "0x1F", "1_000",
    "²", "١٢", "\uff11\uff12", "\u07c1",  # digits to str.isdigit() or int(), not ASCII
    str(MAX_ID + 1), "99999999999999999999999", "9" * 5_000, "1" + "0" * 19,
]


@pytest.mark.parametrize(("text", "number"), [("1", 1), ("0", 0), ("42", 42), ("007", 7),
                                               (str(MAX_ID), MAX_ID), ("0" * 30 + "5", 5)])
def test_parse_id_reads_ascii_digits(text: str, number: int) -> None:
    assert parse_id(text) == number


@pytest.mark.parametrize("text", NOT_IDS)
def test_parse_id_refuses_what_is_not_an_id_like_int_does(text: str) -> None:
    with pytest.raises(ValueError, match="not an id"):
        parse_id(text)


@pytest.mark.parametrize(("text", "page"), [("1", 1), ("3", 3), (str(MAX_PAGE + 1), MAX_PAGE),
                                             (str(MAX_ID), MAX_PAGE)])
def test_parse_page_reads_a_page_and_caps_it(text: str, page: int) -> None:
    assert parse_page(text) == page


@pytest.mark.parametrize("text", ["0", "-2", "²", "99999999999999999999999"])
def test_parse_page_refuses_what_is_not_a_page(text: str) -> None:
    with pytest.raises(ValueError):
        parse_page(text)


@pytest.fixture
def app() -> Iterator[Flask]:
    """A bare app with the routing step and one rule; no database needed."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    configure_routing(app)
    app.add_url_rule("/t/<int:thread_id>", "thread", lambda thread_id: str(thread_id))
    app.add_url_rule("/t/<int:thread_id>-<slug>", "named", lambda thread_id, slug: slug)
    with app.test_request_context():
        yield app


def test_the_int_converter_reads_ids(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/t/12") == ("thread", {"thread_id": 12})
    assert adapter.match(f"/t/{MAX_ID}") == ("thread", {"thread_id": MAX_ID})
    assert adapter.match("/t/12-tea") == ("named", {"thread_id": 12, "slug": "tea"})
    assert url_for("thread", thread_id=12) == "/t/12"


@pytest.mark.parametrize("text", [text for text in NOT_IDS if text.strip() and "\n" not in text])
def test_the_int_converter_matches_no_url_with_what_is_not_an_id(app: Flask, text: str) -> None:
    with pytest.raises(NotFound):
        app.url_map.bind("localhost").match(f"/t/{text}")


class _NumberForm(Form):
    number = IdField("Number", validators=[DataRequired()], message="Give a real number.")
    note = StringField("Note")


def _submitted(app: Flask, **data: object) -> _NumberForm:
    with app.test_request_context(method="POST", data=data):
        form = _NumberForm()
        form.validate()
        return form


@pytest.mark.parametrize(("text", "number"), [("12", 12), (" 12 ", 12), ("#12", 12)])
def test_id_field_reads_a_number(app: Flask, text: str, number: int) -> None:
    form = _submitted(app, number=text)
    assert form.number.data == number
    assert not form.errors


@pytest.mark.parametrize("text", [t for t in NOT_IDS if t.strip() and t.strip() != "1"])
def test_id_field_refuses_what_is_not_an_id_with_its_message(app: Flask, text: str) -> None:
    form = _submitted(app, number=text)
    assert form.number.data is None
    assert form.errors == {"number": ["Give a real number."]}


def test_id_field_left_empty_is_required_not_malformed(app: Flask) -> None:
    assert _submitted(app, number="").errors == {"number": ["This field is required."]}


def test_form_fields_never_see_a_file(app: Flask) -> None:
    form = _submitted(app, number="12", note=(io.BytesIO(b"text"), "note.txt"))
    assert form.note.data is None
    assert form.errors == {"note": [FILE_MESSAGE]}


def test_form_fields_never_see_a_json_body(app: Flask) -> None:
    with app.test_request_context(method="POST", json={"number": {"$gt": 0}, "note": [1]}):
        form = _NumberForm()
        assert not form.validate()
        assert form.number.data is None and form.note.data is None


def test_every_form_of_the_app_is_a_form(app: Flask) -> None:
    """One guard for every form: a new form on FlaskForm would read files again."""
    assert forum.create_app  # importing the factory imported every area's forms

    def subclasses(cls: type) -> Iterator[type]:
        for subclass in cls.__subclasses__():
            yield subclass
            yield from subclasses(subclass)

    ours = [cls for cls in subclasses(FlaskForm)
            if cls.__module__.split(".")[0] in ("forum", "ideas")]
    assert len(ours) > 15
    assert [cls.__qualname__ for cls in ours if not issubclass(cls, Form)] == []
