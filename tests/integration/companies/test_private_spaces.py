"""Private company spaces: only the company's staff, its guests and site admins see one.

The leak tests: for anyone else, every URL of the space answers 404, and nothing of it
comes back from search, the directory, profiles, notifications, mail or kept pages.
They run on SQLite and PostgreSQL like the whole suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum.accounts.models import User
from forum.companies import privacy
from forum.companies.models import Company, CompanyGuest
from forum.errors import Conflict, Invalid, NotAllowed
from forum.events.models import Event
from forum.extensions import db
from forum.mail.models import DROPPED, OutgoingMail
from forum.notifications.models import Notification
from forum.notifications.services import FOLLOWING, set_following
from forum.search import services as search
from forum.threads import posting
from forum.threads.models import Post, Thread
from ideas import votes
from tests.conftest import PASSWORD
from tests.helpers import without_csrf

SECRET_WORD = "zephyrine"  # in the private idea's title
SECRET_REPLY = "quokkalicious"  # in a reply in the private forum


@dataclass
class Space:
    company: Company
    public: Company
    owner: User
    moderator: User
    guest: User
    outsider: User
    idea: Any
    thread: Thread
    reply: Post


@pytest.fixture
def space(make_company: Callable[..., Company], make_user: Callable[..., User],
          make_staff: Callable[..., User], make_idea: Callable, make_thread: Callable,
          make_reply: Callable) -> Space:
    """A space that was public while its guest wrote in it, then made private; and a
    public company next to it."""
    owner = make_user("olga")
    company = make_company("hush", name="Hush Labs", owner=owner)
    public = make_company("open", name="Open Works", owner=make_user("oscar"))
    moderator = make_staff(company, "moderator", "mona")
    guest, outsider = make_user("gita"), make_user("otto")
    idea = make_idea(company, author=guest, title=f"A {SECRET_WORD} mode for the lab",
                     body="Quiet hours for the lab.")
    thread = make_thread(company, author=guest, title="Where is the lab manual?",
                         body="Looking for the manual of the lab kit.")
    reply = make_reply(thread, author=guest, body=f"Found it, the {SECRET_REPLY} page.")
    make_idea(public, author=guest, title="A public idea about lamps")
    privacy.invite_guest(owner, company, username="gita")
    assert privacy.set_privacy(owner, company, True)
    return Space(company, public, owner, moderator, guest, outsider, idea, thread, reply)


def client_of(app: Flask, user: User | None) -> FlaskClient:
    """A browser of its own, signed in as `user` (or a visitor)."""
    browser = app.test_client()
    if user is not None:
        answer = browser.post("/signin", data={"login": user.username, "password": PASSWORD})
        assert answer.status_code == 302
    return browser


def space_urls(app: Flask, space: Space) -> list[tuple[str, str]]:
    """(method, url) of every route under /c/<slug>, forum's and ideas', for this space:
    its real thread, idea and post where a route names them."""
    values = {"slug": space.company.slug, "thread_id": space.thread.id,
              "thread_slug": space.thread.slug, "post_id": space.reply.id,
              "category_slug": "general"}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/c/<slug>"):
            continue
        if "idea" in rule.rule or rule.endpoint.startswith("ideas"):
            args = {**values, "thread_id": space.idea.thread_id,
                    "thread_slug": space.idea.thread.slug}
        else:
            args = values
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(args.get(name, 1)), path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


@pytest.mark.parametrize("who", ["visitor", "outsider", "suspended guest of another"])
def test_every_url_of_a_private_space_answers_404_to_anyone_else(app, space, make_user,
                                                                  make_company, who):
    if who == "visitor":
        person = None
    elif who == "outsider":
        person = space.outsider
    else:  # a guest of another private space is nobody here
        other = make_company("elsewhere", owner=make_user("elsa"))
        privacy.invite_guest(other.memberships[0].user, other, username="otto")
        person = space.outsider
    browser = client_of(app, person)
    urls = space_urls(app, space)
    assert len(urls) > 40
    for method, url in urls:
        answer = browser.open(url, method=method, data={"body": "hello", "title": "hi"})
        assert answer.status_code == 404, (method, url, answer.status_code)
        page = answer.get_data(as_text=True)
        # (The address typed is on the page, in its "sign in" link; nothing more.)
        assert "Hush Labs" not in page and f"A {SECRET_WORD} mode" not in page, url
        assert "Quiet hours" not in page and SECRET_REPLY not in page, url
    # The same answer as an address that never existed: nothing says the space is there.
    missing = browser.get("/c/no-such-company")
    assert missing.status_code == 404
    assert (without_csrf(browser.get("/c/hush").get_data(as_text=True))
            == without_csrf(missing.get_data(as_text=True)).replace("no-such-company", "hush"))


def test_every_company_address_is_guarded(app):
    """The guard covers `/c/<slug>...`: a route naming its company otherwise would not be."""
    company_routes = [rule.rule for rule in app.url_map.iter_rules()
                      if rule.rule.startswith("/c/")]
    assert company_routes
    assert all(route.startswith("/c/<slug>") for route in company_routes)


@pytest.mark.parametrize("who", ["guest", "owner", "moderator", "admin"])
def test_its_staff_guests_and_site_admins_read_it(app, space, admin, who):
    person = {"guest": space.guest, "owner": space.owner, "moderator": space.moderator,
              "admin": admin}[who]
    browser = client_of(app, person)
    idea_url = f"/c/hush/ideas/{space.idea.thread_id}-{space.idea.thread.slug}"
    for url in ("/c/hush", "/c/hush/ideas", "/c/hush/forum", idea_url,
                f"/c/hush/t/{space.thread.id}-{space.thread.slug}", "/c/hush/roadmap"):
        answer = browser.get(url)
        assert answer.status_code == 200, url
    page = browser.get("/c/hush").get_data(as_text=True)
    assert 'class="badge badge-private"' in page


def test_a_guest_takes_part_and_an_outsider_cannot_even_through_the_services(space):
    reply = posting.post_reply(space.guest, space.thread, "Thanks, found it too.")
    assert reply.id
    votes_before = space.idea.vote_count
    with pytest.raises(NotAllowed, match="There is no company at that address"):
        posting.post_reply(space.outsider, space.thread, "Can I see this?")
    with pytest.raises(NotAllowed, match="There is no company at that address"):
        votes.cast_vote(space.outsider, space.idea)
    db.session.refresh(space.idea)
    assert space.idea.vote_count == votes_before


def test_search_finds_a_private_space_only_for_those_inside(app, space, admin, run_indexer):
    run_indexer()
    for viewer in (AnonymousUserMixin(), space.outsider):
        assert search.search(SECRET_WORD, viewer=viewer).total == 0
        assert search.search(SECRET_REPLY, viewer=viewer).total == 0
        assert search.search("lamps", viewer=viewer).total == 1  # the public one still is
    for viewer in (space.guest, space.owner, admin):
        assert search.search(SECRET_WORD, viewer=viewer).total == 1
        assert search.search(SECRET_REPLY, viewer=viewer).total == 1

    # Not even as a spelling suggestion: the word is only the private space's.
    assert search.search("zepyrine", viewer=space.outsider).suggestion is None
    assert search.search("zepyrine", viewer=space.guest).suggestion == SECRET_WORD

    outsider = client_of(app, space.outsider)
    page = outsider.get(f"/search?q={SECRET_WORD}").get_data(as_text=True)
    assert "mode for the lab" not in page and "Hush Labs" not in page
    filtered = outsider.get(f"/search?q={SECRET_WORD}&company=hush")
    assert filtered.status_code == 422
    assert "There is no company with that address." in filtered.get_data(as_text=True)
    assert outsider.get(f"/c/hush/search?q={SECRET_WORD}").status_code == 404
    inside = client_of(app, space.guest).get(f"/search?q={SECRET_WORD}&company=hush")
    assert inside.status_code == 200 and "mode for the lab" in inside.get_data(as_text=True)


def test_the_directory_lists_it_only_to_those_inside(app, space):
    for person in (None, space.outsider):
        page = client_of(app, person).get("/").get_data(as_text=True)
        assert "Open Works" in page and "Hush Labs" not in page
    page = client_of(app, space.guest).get("/").get_data(as_text=True)
    assert "Hush Labs" in page and "badge-private" in page


def test_profiles_show_nothing_of_it_to_anyone_else(app, space):
    for person in (None, space.outsider):
        browser = client_of(app, person)
        page = browser.get("/u/gita").get_data(as_text=True)
        assert "A public idea about lamps" in page
        assert SECRET_WORD not in page and "lab manual" not in page
        assert SECRET_REPLY not in page and "Hush Labs" not in page
        owner_page = browser.get("/u/olga").get_data(as_text=True)
        assert "Hush Labs" not in owner_page  # not even as a staff role
    page = client_of(app, space.guest).get("/u/gita").get_data(as_text=True)
    assert SECRET_WORD in page and "lab manual" in page


def test_nobody_outside_hears_of_it_and_what_they_heard_before_goes(
        app, space, make_user, notify, make_idea):
    notify()  # what happened before anyone here followed the space
    fan = make_user("fanny")
    privacy.set_privacy(space.owner, space.company, False)
    set_following(fan, space.company, FOLLOWING)
    set_following(space.guest, space.company, FOLLOWING)
    set_following(space.outsider, space.company, FOLLOWING)
    make_idea(space.company, author=space.owner, title="Told while public")
    notify()
    browser = client_of(app, fan)
    assert "Told while public" in browser.get("/notifications").get_data(as_text=True)

    privacy.set_privacy(space.owner, space.company, True)
    make_idea(space.company, author=space.moderator, title="Told only inside")
    posting.post_reply(space.guest, space.thread, "Ask @fanny and @otto about it.")
    notify()
    db.session.rollback()
    told = {user.username: [(kind, (data or {}).get("title")) for kind, data in
                             db.session.execute(
                                 select(Event.type, Event.data)
                                 .join(Notification, Notification.event_id == Event.id)
                                 .where(Notification.user_id == user.id)
                                 .order_by(Event.id))]
            for user in (fan, space.outsider, space.guest)}
    # The follower and the one mentioned heard of the public idea only; the guest of both,
    # and of the reply that mentioned them.
    assert told["fanny"] == told["otto"] == [("thread.started", "Told while public")]
    assert ("thread.started", "Told only inside") in told["gita"]
    for person in (fan, space.outsider):
        browser = client_of(app, person)
        for url in ("/notifications", "/home"):
            page = browser.get(url).get_data(as_text=True)
            assert "Told while public" not in page and "Told only inside" not in page, url
            assert "Hush Labs" not in page, url
    home = client_of(app, space.guest).get("/home").get_data(as_text=True)
    assert "Hush Labs" in home  # a guest still follows it


def test_mail_queued_before_a_space_went_private_is_not_sent(app, space, make_user, notify,
                                                            smtp, send):
    privacy.set_privacy(space.owner, space.company, False)
    posting.post_reply(space.guest, space.thread, "Paging @otto about the manual.")
    notify()
    queued = db.session.scalars(select(OutgoingMail).where(
        OutgoingMail.user_id == space.outsider.id)).all()
    assert [mail.kind for mail in queued] == ["mentions"]
    privacy.set_privacy(space.owner, space.company, True)
    send()
    mail = db.session.get(OutgoingMail, queued[0].id)
    db.session.refresh(mail)
    assert mail.status == DROPPED and "private space" in mail.last_error
    assert not [message for message in smtp.inbox.messages
                if "otto" in message["To"]]


def test_kept_pages_of_a_space_gone_private_are_never_served(app, space, make_user):
    app.config["PAGE_CACHE_SECONDS"] = 60
    privacy.set_privacy(space.owner, space.company, False)
    visitor = client_of(app, None)
    thread_url = f"/c/hush/t/{space.thread.id}-{space.thread.slug}"
    urls = ["/c/hush", "/c/hush/ideas", thread_url, "/"]
    for url in urls:
        assert visitor.get(url).headers["X-Page-Cache"] == "miss"
        assert visitor.get(url).headers["X-Page-Cache"] == "hit"
    assert "Hush Labs" in visitor.get("/").get_data(as_text=True)

    privacy.set_privacy(space.owner, space.company, True)
    for url in urls[:-1]:
        answer = visitor.get(url)
        assert answer.status_code == 404, url
        assert "X-Page-Cache" not in answer.headers
    directory = visitor.get("/")
    assert directory.headers["X-Page-Cache"] == "miss"
    assert "Hush Labs" not in directory.get_data(as_text=True)

    # Made public again, the space is kept for visitors as before.
    privacy.set_privacy(space.owner, space.company, False)
    assert visitor.get("/c/hush").headers["X-Page-Cache"] == "miss"
    assert visitor.get("/c/hush").headers["X-Page-Cache"] == "hit"


def test_owners_invite_and_remove_guests_from_the_privacy_page(app, space, make_user, notify):
    carla = make_user("carla")
    owner = client_of(app, space.owner)
    page = owner.get("/c/hush/manage/privacy")
    assert page.status_code == 200 and "gita" in page.get_data(as_text=True)
    invited = owner.post("/c/hush/manage/privacy", data={"customer": "@carla"},
                         follow_redirects=True)
    assert "@carla is a guest of Hush Labs: they see the private space now." in \
        invited.get_data(as_text=True)
    notify()
    told = client_of(app, carla)
    assert "invited you into its private space" in told.get("/notifications").get_data(
        as_text=True)
    assert told.get("/c/hush").status_code == 200

    again = owner.post("/c/hush/manage/privacy", data={"customer": "carla"})
    assert again.status_code == 409 and "is a guest already" in again.get_data(as_text=True)
    staff = owner.post("/c/hush/manage/privacy", data={"customer": "mona"})
    assert staff.status_code == 409 and "staff see the space" in staff.get_data(as_text=True)
    nobody = owner.post("/c/hush/manage/privacy", data={"customer": "nobody_here"})
    assert nobody.status_code == 422

    db.session.rollback()
    guest = db.session.scalar(select(CompanyGuest).where(CompanyGuest.user_id == carla.id))
    removed = owner.post(f"/c/hush/manage/privacy/guests/{guest.id}/remove",
                         follow_redirects=True)
    assert "carla is no longer a guest of Hush Labs." in removed.get_data(as_text=True)
    assert told.get("/c/hush").status_code == 404
    assert owner.post("/c/hush/manage/privacy/guests/999999/remove",
                      follow_redirects=True).status_code == 200  # says so, changes nothing


def test_an_address_without_an_account_gets_an_invited_one(app, space):
    owner = client_of(app, space.owner)
    answer = owner.post("/c/hush/manage/privacy", data={"customer": "new.person@example.org"},
                        follow_redirects=True)
    assert "new.person@example.org is a guest of Hush Labs" in answer.get_data(as_text=True)
    db.session.rollback()  # end this session's snapshot: read what the request wrote
    invited = db.session.scalar(select(User).where(User.pending_email
                                                   == "new.person@example.org"))
    assert invited is not None and invited.is_unclaimed
    assert invited.is_guest_at(space.company.id)
    claim = db.session.scalar(select(OutgoingMail).where(
        OutgoingMail.to_address == "new.person@example.org"))
    assert claim is not None and "Hush Labs" in claim.text_body


def test_only_owners_manage_privacy_and_guests(app, space, make_staff):
    moderator = client_of(app, space.moderator)
    assert moderator.get("/c/hush/manage/privacy").status_code == 403
    assert moderator.post("/c/hush/manage/privacy/set",
                          data={"private": "public"}).status_code == 403
    assert client_of(app, space.guest).get("/c/hush/manage/privacy").status_code == 403
    assert client_of(app, space.outsider).get("/c/hush/manage/privacy").status_code == 404
    with pytest.raises(NotAllowed):
        privacy.invite_guest(space.moderator, space.company, username="otto")
    db.session.refresh(space.company)
    assert space.company.is_private


def test_making_it_public_asks_and_says_what_happened(app, space):
    owner = client_of(app, space.owner)
    page = owner.get("/c/hush/manage/privacy").get_data(as_text=True)
    assert "Make Hush Labs public?" in page and "Yes, make it public" in page
    bad = owner.post("/c/hush/manage/privacy/set", data={"private": "maybe"},
                     follow_redirects=True)
    assert "Choose whether the space is public or private." in bad.get_data(as_text=True)
    db.session.refresh(space.company)
    assert space.company.is_private
    done = owner.post("/c/hush/manage/privacy/set", data={"private": "public"},
                      follow_redirects=True)
    assert "Hush Labs is public" in done.get_data(as_text=True)
    assert client_of(app, None).get("/c/hush").status_code == 200
    same = owner.post("/c/hush/manage/privacy/set", data={"private": "public"},
                      follow_redirects=True)
    assert "nothing changed" in same.get_data(as_text=True)
    db.session.rollback()
    logged = db.session.scalars(select(Event.data).where(
        Event.type == "company.privacy_set").order_by(Event.id)).all()
    assert logged == [{"private": [False, True]}, {"private": [True, False]}]


def test_no_vote_is_recorded_for_someone_who_cannot_see_the_space(space):
    with pytest.raises(Invalid, match="is not a guest"):
        votes.record_vote_on_behalf(space.owner, space.idea, username="otto")
    with pytest.raises(Conflict):
        privacy.invite_guest(space.owner, space.company, username="gita")


def test_site_admins_see_which_spaces_are_private(app, space, admin):
    page = client_of(app, admin).get("/admin/").get_data(as_text=True)
    hush = page[page.index("Hush Labs"):]
    assert hush.index("badge-private") < hush.index("</h3>")
    works = page[page.index("Open Works"):]
    assert "badge-private" not in works[:works.index("</h3>")]
