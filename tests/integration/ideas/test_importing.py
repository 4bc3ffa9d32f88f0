"""Importing ideas from a file (ideas.importing): our CSV and Fider's export, through the
manage page and `flask import csv`; the preview saves nothing and lists every wrong row,
the import is all or nothing, and nobody is notified of what was imported."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from forum.accounts.models import User
from forum.companies import privacy
from forum.errors import Invalid
from forum.events.models import Event
from forum.extensions import db
from forum.mail.models import OutgoingMail
from forum.notifications.services import set_following
from forum.threads.models import Post, Thread
from ideas.importing import services as importing
from ideas.models import Idea, IdeaTag, Tag, Vote
from tests.conftest import PASSWORD

DATA = Path(__file__).resolve().parents[2] / "data"
IDEAS = "\n".join([
    "ref,title,body,author_email,status,tags,created_at,voter_emails",
    '1,Descale reminders,"Remind me to **descale**.",carol@example.com,planned,'
    "Maintenance; App,2024-03-01T10:00:00Z,dave@example.com; new.person@elsewhere.test",
    "2,Quieter grinder,,new.person@elsewhere.test,,Hardware,2024-03-02,",
    "3,Recipe sharing,Share recipes with friends.,dave@example.com,Shipped,,2024-03-03 09:30,"
    "carol@example.com|nobody@nowhere.test", ""])
COMMENTS = """idea_ref,author_email,body,created_at
1,dave@example.com,Yes please!,2024-03-02T08:00:00Z
1,nobody@nowhere.test,"Me too, *twice*.",2024-03-01T12:00:00Z
3,carol@example.com,Love it.,
"""


@pytest.fixture
def owner(acme, make_staff):
    return make_staff(acme, "owner", "olive")


@pytest.fixture
def people(make_user):
    return {"carol": make_user("carol"), "dave": make_user("dave")}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def upload(client, ideas: bytes, comments: bytes | None = None, format: str = "auto",
           slug: str = "acme"):
    data = {"format": format, "file": (io.BytesIO(ideas), "ideas.csv")}
    if comments is not None:
        data["comments"] = (io.BytesIO(comments), "comments.csv")
    return client.post(f"/c/{slug}/manage/import", data=data,
                       content_type="multipart/form-data")


def token_of(response) -> str:
    found = re.search(r'name="upload" value="([^"]+)"', response.get_data(as_text=True))
    assert found, "the preview offers no import"
    return found.group(1)


def counts() -> tuple[int, int, int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(Idea)),
            db.session.scalar(select(func.count()).select_from(Post)),
            db.session.scalar(select(func.count()).select_from(Vote)),
            db.session.scalar(select(func.count()).select_from(User)))


def idea_titled(title: str) -> Idea:
    db.session.rollback()
    return db.session.scalars(select(Idea).join(Thread).where(Thread.title == title)).one()


def test_our_format_previews_then_imports_ideas_votes_and_comments(
        client, auth, acme, owner, people, run_indexer, tmp_path):
    auth.signin("olive")
    before = counts()
    preview = upload(client, IDEAS.encode(), COMMENTS.encode())
    assert preview.status_code == 200
    page = text(preview)
    assert "Nothing is saved yet" in page and "Import 3 ideas" in page
    # Votes: 1 (carol + dave + new) 2 (new) 3 (dave + carol + nobody); two new addresses.
    assert re.search(r"<strong>7</strong> votes", page)
    assert re.search(r"<strong>2</strong> new invited accounts", page)
    assert re.search(r"<strong>2</strong> existing accounts matched", page)
    assert counts() == before  # the preview saved nothing

    done = client.post("/c/acme/manage/import/confirm", data={"upload": token_of(preview)})
    assert done.status_code == 302
    assert "Imported 3 ideas with 7 votes and 3 comments" in text(client.get(done.location))

    descale = idea_titled("Descale reminders")
    assert descale.status == "planned" and descale.thread.author.username == "carol"
    assert sorted(tag.name for tag in descale.tags) == ["App", "Maintenance"]
    assert "<strong>descale</strong>" in db.session.scalars(
        select(Post.body_html).where(Post.thread_id == descale.thread_id,
                                     Post.number == 1)).one()
    replies = db.session.execute(select(Post.number, Post.body_source).where(
        Post.thread_id == descale.thread_id).order_by(Post.number)).all()
    assert [body for _, body in replies][1:] == ["Me too, *twice*.", "Yes please!"]  # by date
    assert descale.thread.reply_count == 2 and descale.thread.post_count == 3
    # Every counter equals its rows; the new addresses became invited accounts.
    for idea in db.session.scalars(select(Idea)):
        assert idea.vote_count == db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.idea_id == idea.id))
    invited = db.session.scalars(select(User).where(User.invited_at.is_not(None))).all()
    assert sorted(user.pending_email for user in invited) == ["new.person@elsewhere.test",
                                                              "nobody@nowhere.test"]
    assert idea_titled("Quieter grinder").thread.author.pending_email == "new.person@elsewhere.test"
    assert idea_titled("Quieter grinder").status == "open"
    assert idea_titled("Recipe sharing").status == "shipped"
    assert db.session.scalar(select(func.count()).select_from(Vote).where(
        Vote.recorded_by_id == owner.id)) == 7
    # Shown everywhere: the board, and search once the indexer followed the log.
    assert "Quieter grinder" in text(client.get("/c/acme/ideas"))
    run_indexer()
    assert "-quieter-grinder\">Quieter <mark>grinder</mark>" in text(
        client.get("/search?q=grinder"))
    assert not list((tmp_path / "imports").glob("*"))  # the kept upload is gone


def test_a_zip_holds_both_files(client, auth, acme, owner, people):
    auth.signin("olive")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/ideas.csv", IDEAS)
        archive.writestr("export/comments.csv", COMMENTS)
    preview = upload(client, buffer.getvalue())
    assert preview.status_code == 200 and "Import 3 ideas" in text(preview)
    assert re.search(r"<strong>3</strong> comments", text(preview))


BAD_IDEAS = """ref,title,body,author_email,status,tags,created_at,voter_emails
1,Good idea here,,carol@example.com,,,,
2,,No title,carol@example.com,,,,
3,Bad date idea,,carol@example.com,,,31/12/2023,
4,Unknown status idea,,carol@example.com,Someday,,,
5,Bad address idea,,not-an-address,,,,
1,Duplicate ref idea,,carol@example.com,,,,
7,Bad voter idea,,carol@example.com,,,,carol@example.com; @@
8,Good idea here,,carol@example.com,,Bad*tag,,
"""
BAD_COMMENTS = """idea_ref,author_email,body,created_at
99,carol@example.com,Orphan,
1,carol@example.com,,
"""


def test_the_preview_lists_every_wrong_row_and_saves_nothing(client, auth, acme, owner,
                                                             people, tmp_path):
    auth.signin("olive")
    before = counts()
    preview = upload(client, BAD_IDEAS.encode(), BAD_COMMENTS.encode())
    assert preview.status_code == 422
    page = text(preview)
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td><code>([^<]+)</code></td>"
                      r"<td>([^<]+)</td></tr>", page)
    found = {(file, int(line), column) for file, line, column, _ in rows}
    assert found == {
        ("ideas.csv", 3, "title"), ("ideas.csv", 4, "created_at"), ("ideas.csv", 5, "status"),
        ("ideas.csv", 6, "author_email"), ("ideas.csv", 7, "ref"),
        ("ideas.csv", 8, "voter_emails"), ("ideas.csv", 9, "title"),
        ("ideas.csv", 9, "tags"), ("comments.csv", 2, "idea_ref"),
        ("comments.csv", 3, "body")}
    reasons = " ".join(reason for *_, reason in rows)
    assert "“31/12/2023” is not a date in ISO 8601" in reasons
    assert "“Someday” is not one of Acme's statuses" in reasons
    assert "the same title as line 2" in reasons
    assert "9 wrong" not in page and "10 wrong rows" in page
    assert "Import " not in re.sub(r"<title>.*?</title>", "", page).replace("Import ideas", "")
    assert counts() == before
    assert not list((tmp_path / "imports").glob("*"))


def test_one_wrong_row_imports_nothing(acme, owner, people):
    before = counts()
    wrong = IDEAS.replace("2024-03-03 09:30", "yesterday")
    with pytest.raises(Invalid, match="1 rows are wrong: nothing was imported"):
        importing.import_file(owner, acme, wrong.encode(), COMMENTS.encode())
    assert counts() == before


def test_an_import_run_twice_is_refused_the_second_time(acme, owner, people):
    importing.import_file(owner, acme, IDEAS.encode())
    plan = importing.preview(owner, acme, IDEAS.encode())
    assert {error.line for error in plan.errors} == {2, 3, 4}
    assert "already" in plan.errors[0].message


def test_the_fider_export_is_imported_as_fider_writes_it(app, runner, acme, owner):
    result = runner.invoke(args=["import", "csv", "acme", str(DATA / "fider-posts.csv"),
                                 "--yes"])
    assert result.exit_code == 0, result.output
    assert "6 ideas, 5 comments, 0 votes" in result.output
    assert "Imported 6 ideas with 0 votes and 5 comments" in result.output
    statuses = {title: idea_titled(title).status for title in (
        "Dark mode for the dashboard", "Export invoices as PDF", "Two-factor authentication",
        "Keyboard shortcuts", "Integrate with Fax machines", "Dark theme please")}
    assert list(statuses.values()) == ["planned", "open", "in_progress", "shipped",
                                       "declined", "duplicate"]
    dark = idea_titled("Dark mode for the dashboard")
    assert dark.thread.author_id == owner.id and dark.vote_count == 0
    assert sorted(tag.name for tag in dark.tags) == ["night", "ui"]
    assert str(dark.created_at) == "2023-01-10 09:15:00"
    opening, answer = db.session.scalars(select(Post).where(
        Post.thread_id == dark.thread_id).order_by(Post.number)).all()
    assert opening.body_source.startswith("The dashboard is very bright at night.\n\nCould")
    assert "proposed by Jane Doe, with 42 votes and 5 comments there" in opening.body_source
    assert answer.official and "planning this for Q2" in answer.body_source
    assert "Sam Support, on Fider" in answer.body_source
    assert str(answer.created_at) == "2023-02-01 10:00:00"
    assert str(dark.thread.answered_at) == "2023-02-01 10:00:00"
    duplicate = idea_titled("Dark theme please")
    assert "Duplicate of Fider post #1" in db.session.scalars(select(Post.body_source).where(
        Post.thread_id == duplicate.thread_id, Post.number == 2)).one()
    shortcuts = db.session.scalars(select(Post.body_source).where(
        Post.thread_id == idea_titled("Keyboard shortcuts").thread_id,
        Post.number == 1)).one()
    assert 'Like "j" and "k"' in shortcuts


def test_the_cli_dry_run_and_wrong_rows(runner, acme, owner, tmp_path):
    path = tmp_path / "ideas.csv"
    path.write_text(IDEAS)
    dry = runner.invoke(args=["import", "csv", "acme", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Nothing imported." in dry.output
    path.write_text(BAD_IDEAS)
    wrong = runner.invoke(args=["import", "csv", "acme", str(path), "--yes"])
    assert wrong.exit_code == 1
    assert "ideas.csv, line 4, created_at" in wrong.output
    assert counts()[0] == 0


CP1252 = "title,author_email\nCafé crème option,carol@example.com\n".encode("cp1252")


@pytest.mark.parametrize(("name", "ideas", "said"), [
    ("missing column", b"title,body\nA good idea,text\n",
     "ideas.csv has the wrong columns (missing author_email)"),
    ("unknown column", b"title,author_email,votes\nA good idea,a@example.com,3\n",
     "unknown 'votes'"),
    ("windows-1252", CP1252, "not UTF-8 text (line 2"),
    ("empty", b"", "The file is empty"),
    ("header only", b"title,author_email\n", "has a header but no rows"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
    ("broken zip", b"PK\x03\x04broken", "cannot be opened as one"),
])
def test_unreadable_files_are_refused_with_the_reason(client, auth, acme, owner, name, ideas,
                                                      said):
    auth.signin("olive")
    before = counts()
    response = upload(client, ideas)
    assert response.status_code == 422, name
    assert said in text(response)
    assert 'name="file"' in text(response)  # the form, again
    assert counts() == before


def test_a_file_over_the_limit_is_refused(app_factory, acme, owner):
    # Small sizes: the test client spools bodies over 500 kB to a file it never closes.
    small = app_factory(IMPORT_MAX_BYTES=100_000)
    client = small.test_client()
    client.post("/signin", data={"login": "olive", "password": PASSWORD})
    response = upload(client, b"title,author_email\n" + b"x" * 100_001)
    assert response.status_code == 422  # within the form's slack: the form says why
    assert "The upload is larger than 0 MB" not in text(response)
    assert "split it into several imports" in text(response)
    assert upload(client, b"x" * 200_000).status_code == 413
    assert counts()[0] == 0


@pytest.mark.parametrize("role", ["team", "moderator"])
def test_only_owners_import(client, auth, acme, make_staff, role, people):
    make_staff(acme, role, "stafford")
    auth.signin("stafford")
    assert client.get("/c/acme/manage/import").status_code == 403
    assert upload(client, IDEAS.encode()).status_code == 403
    assert client.post("/c/acme/manage/import/confirm",
                       data={"upload": "x" * 32}).status_code == 403
    auth.signout()
    auth.signin("carol")
    assert upload(client, IDEAS.encode()).status_code == 403


def test_an_upload_is_imported_only_by_who_previewed_it(client, auth, acme, owner,
                                                        make_staff, people):
    auth.signin("olive")
    token = token_of(upload(client, IDEAS.encode()))
    make_staff(acme, "owner", "other_owner")
    auth.signout()
    auth.signin("other_owner")
    assert client.post("/c/acme/manage/import/confirm",
                       data={"upload": token}).status_code == 404
    assert client.post("/c/acme/manage/import/confirm",
                       data={"upload": "../../etc/passwd"}).status_code == 404
    assert counts()[0] == 0


def test_a_private_space_imports_for_its_owner_and_shows_nobody_else(
        client, auth, acme, owner, people, run_indexer):
    privacy.set_privacy(owner, acme, True)
    auth.signin("olive")
    preview = upload(client, IDEAS.encode())
    assert client.post("/c/acme/manage/import/confirm",
                       data={"upload": token_of(preview)}).status_code == 302
    idea = idea_titled("Recipe sharing")
    assert client.get(f"/c/acme/ideas/{idea.thread_id}-x", follow_redirects=True
                      ).status_code == 200
    run_indexer()
    auth.signout()
    auth.signin("carol")  # an author and voter of imported ideas, but no guest
    assert client.get(f"/c/acme/ideas/{idea.thread_id}-x").status_code == 404
    assert "Recipe sharing" not in text(client.get("/search?q=recipe"))
    assert "Recipe sharing" not in text(client.get("/ideas"))
    assert "Recipe sharing" not in text(client.get("/u/carol"))


def test_nobody_is_notified_of_an_import(client, auth, acme, owner, people, notify,
                                         make_user):
    follower = make_user("fan")
    set_following(follower, acme, "following")
    set_following(people["carol"], acme, "following")
    importing.import_file(owner, acme, IDEAS.encode(), COMMENTS.encode())
    assert notify() == 0
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0
    kinds = db.session.scalars(select(Event.type).where(Event.company_id == acme.id)).all()
    assert kinds.count("ideas.imported") == 1
    auth.signin("root")  # the audit log says who imported
    audit = text(client.get("/admin/audit?company=acme&type=ideas.imported"))
    assert "Imported ideas from a file" in audit and "olive" in audit


def test_each_batch_of_a_thousand_costs_a_fixed_number_of_statements(acme, owner):
    rows = ["ref,title,author_email,tags,voter_emails"]
    rows += [f"{n},Imported idea number {n},author{n % 50}@example.com,tag{n % 7},"
             f"voter{n % 300}@example.com;voter{(n + 1) % 300}@example.com"
             for n in range(2500)]
    data = "\n".join(rows).encode()
    plan = importing.preview(owner, acme, data)
    assert plan.ok, plan.errors[:3]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        summary = importing.import_plan(owner, plan)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert summary.ideas == 2500 and summary.invited == 350
    # Per batch of 1,000 ideas: threads, posts, ideas, tags, votes, scores, the event
    # (each insert of many rows in a few statements); plus tags and accounts once.
    assert len(statements) < 80, Counter(s[:70] for s in statements).most_common(8)
    assert db.session.scalar(select(func.sum(Idea.vote_count))) == db.session.scalar(
        select(func.count()).select_from(Vote)) == 7500  # each author's vote too
    assert db.session.scalar(select(func.count()).select_from(IdeaTag)) == 2500
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 7
