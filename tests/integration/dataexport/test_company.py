"""The company export: CSV files in a zip, for owners only, every cell safe to open in a
spreadsheet, and nothing of another company."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from forum.companies import privacy
from forum.dataexport.archive import spreadsheet_cell
from forum.moderation import hiding
from ideas import services as idea_services
from ideas import votes
from tests.conftest import PASSWORD


def read_zip(answer: Any) -> dict[str, list[dict[str, str]]]:
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.is_streamed
    archived = zipfile.ZipFile(io.BytesIO(answer.get_data()))
    files: dict[str, Any] = {"README.txt": archived.read("README.txt").decode()}
    for name in archived.namelist():
        if name.endswith(".csv"):
            text = archived.read(name).decode("utf-8")
            assert text.startswith("\ufeff")
            files[name] = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    return files


def test_spreadsheet_cells_never_start_a_formula() -> None:
    for dangerous in ("=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"):
        assert spreadsheet_cell(dangerous) == "'" + dangerous
    assert spreadsheet_cell("plain") == "plain" and spreadsheet_cell(None) == ""
    assert spreadsheet_cell(3) == "3"


def test_an_owner_exports_the_company_as_csv(
        client: FlaskClient, auth: Any, make_user: Callable, make_company: Callable,
        make_thread: Callable, make_reply: Callable, make_idea: Callable,
        make_staff: Callable) -> None:
    olga = make_user("olga")
    acme = make_company("acme", name="Acme", owner=olga)
    other = make_company("other", owner=make_user("oscar"))
    alice, bob = make_user("alice"), make_user("bob")
    idea = make_idea(acme, author=alice, title="=HYPERLINK(\"http://evil\")")
    votes.cast_vote(bob, idea)
    tag = idea_services.create_tag(olga, acme, "Sync")
    idea_services.set_idea_tags(olga, idea, [tag.id])
    thread = make_thread(acme, author=bob, title="@mention everyone", body="-1 from me")
    rude = make_reply(thread, author=alice, body="+rude words")
    moderator = make_staff(acme, "moderator", "mona")
    hiding.hide_post(moderator, rude, "abuse")
    make_thread(other, author=bob, title="Other company's thread")
    auth.signin("olga")
    assert "Export" in client.get("/c/acme/manage").get_data(as_text=True)
    assert client.get("/c/acme/manage/export").status_code == 200
    files = read_zip(client.post("/c/acme/manage/export"))
    assert set(files) == {"README.txt", "threads.csv", "posts.csv", "ideas.csv",
                          "votes.csv", "tags.csv"}
    [exported] = files["ideas.csv"]
    assert exported["title"] == "'=HYPERLINK(\"http://evil\")" and exported["votes"] == "2"
    assert exported["tags"] == "Sync"
    assert {vote["voter"] for vote in files["votes.csv"]} == {"alice", "bob"}
    titles = {row["title"] for row in files["threads.csv"]}
    assert "'@mention everyone" in titles and "Other company's thread" not in titles
    bodies = {row["body"]: row for row in files["posts.csv"]}
    assert "'-1 from me" in bodies
    assert bodies["'+rude words"]["hidden"] != ""  # included, and said to be hidden
    assert [row["name"] for row in files["tags.csv"]] == ["Sync"]
    everything = "".join(str(rows) for rows in files.values())
    assert "@example.com" not in everything


def test_only_owners_export(client: FlaskClient, auth: Any, make_user: Callable,
                            make_company: Callable, make_staff: Callable) -> None:
    acme = make_company("acme", owner=make_user("olga"))
    make_staff(acme, "team", "tess")
    auth.signin("tess")
    assert client.get("/c/acme/manage/export").status_code == 403
    assert client.post("/c/acme/manage/export").status_code == 403


def test_a_private_space_exports_only_to_its_owner(
        app: Flask, make_user: Callable, make_company: Callable, make_thread: Callable
        ) -> None:
    olga, gita, otto = make_user("olga"), make_user("gita"), make_user("otto")
    hush = make_company("hush", name="Hush Labs", owner=olga)
    make_thread(hush, author=gita, title="Secret lab notes")
    privacy.invite_guest(olga, hush, username="gita")
    privacy.set_privacy(olga, hush, True)
    for person, status in ((otto, 404), (gita, 403), (olga, 200)):
        browser = app.test_client()
        browser.post("/signin", data={"login": person.username, "password": PASSWORD})
        answer = browser.post("/c/hush/manage/export")
        assert answer.status_code == status, person.username
        if status != 200:
            assert "Secret lab notes" not in answer.get_data(as_text=True)
    assert app.test_client().post("/c/hush/manage/export").status_code == 404


def test_operators_export_a_company_to_a_file(runner: Any, tmp_path: Any,
                                              make_user: Callable, make_company: Callable,
                                              make_idea: Callable) -> None:
    acme = make_company("acme", name="Acme", owner=make_user("olga"))
    make_idea(acme, title="@everyone wants dark mode")
    path = tmp_path / "acme.zip"
    result = runner.invoke(args=["export", "company", "acme", str(path)])
    assert result.exit_code == 0, result.output
    ideas = zipfile.ZipFile(path).read("ideas.csv").decode()
    assert "'@everyone wants dark mode" in ideas
    missing = runner.invoke(args=["export", "company", "nowhere", str(path)])
    assert missing.exit_code != 0 and "There is no company at 'nowhere'" in missing.output
