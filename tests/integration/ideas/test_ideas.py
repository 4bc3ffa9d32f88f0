"""Proposing, the board, voting, statuses in public, tags, merging and the roadmap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from forum import policy
from forum.database import utcnow
from forum.errors import NotAllowed
from forum.extensions import db
from forum.threads.models import Post
from ideas import services, statuses, votes
from ideas.models import Idea, Status, StatusChange, Vote
from tests.helpers import assert_queries_stay_flat, reload

HTMX = {"HX-Request": "true"}


def idea_url(idea, suffix=""):
    return f"/c/{idea.company.slug}/ideas/{idea.thread_id}{suffix}"


def page_of(client, idea) -> str:
    return client.get(idea_url(idea, f"-{idea.thread.slug}")).get_data(as_text=True)


def test_propose_counts_the_proposers_vote(client, auth, make_user, make_company):
    make_company("acme")
    make_user("alice")
    auth.signin("alice")
    response = client.post("/c/acme/ideas/new", data={
        "title": "Dark mode for the companion app", "body": "My eyes at night."})
    assert response.status_code == 302
    assert "/c/acme/ideas/" in response.headers["Location"]
    idea = db.session.scalar(select(Idea))
    assert idea.vote_count == 1 and idea.status == "open"
    assert "Dark mode" in client.get("/c/acme/ideas").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"title": ""}, "This field is required."),
    ({"title": "Hi"}, "at least 5 characters"),
    ({"title": "x" * 151}, "150"),
    ({"body": ""}, "This field is required."),
    ({"tags": "999"}, "is not a valid choice"),
])
def test_bad_proposals_are_refused(client, auth, make_user, make_company, data, message):
    make_company("acme")
    make_user("alice")
    auth.signin("alice")
    form = {"title": "A perfectly fine idea", "body": "Why not."} | data
    response = client.post("/c/acme/ideas/new", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0


def test_signed_out_visitors_are_sent_to_sign_in_and_back(client, make_idea):
    idea = make_idea()
    response = client.post(idea_url(idea, "/vote"), data={"action": "cast"})
    assert response.status_code == 302
    assert "/signin?next=" in response.headers["Location"]
    assert f"ideas/{idea.thread_id}-" in response.headers["Location"]
    htmx = client.post(idea_url(idea, "/vote"), data={"action": "cast"},
                       headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and "/signin" in htmx.headers["HX-Redirect"]
    assert client.get("/c/" + idea.company.slug + "/ideas/new").status_code == 302


def test_vote_and_unvote_toggle_in_place(client, auth, make_user, make_idea):
    idea = make_idea()
    make_user("bob")
    auth.signin("bob")
    cast = client.post(idea_url(idea, "/vote"), data={"action": "cast"},
                       headers={"HX-Request": "true"})
    body = cast.get_data(as_text=True)
    assert cast.status_code == 200 and 'aria-pressed="true"' in body and ">2<" in body
    again = client.post(idea_url(idea, "/vote"), data={"action": "cast"},
                        headers={"HX-Request": "true"})
    assert ">2<" in again.get_data(as_text=True)  # a second vote is a no-op
    retract = client.post(idea_url(idea, "/vote"), data={"action": "retract"},
                          headers={"HX-Request": "true"})
    assert 'aria-pressed="false"' in retract.get_data(as_text=True)
    reload(idea)
    assert idea.vote_count == 1
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 1


def test_a_vote_on_the_idea_page_sends_its_voter_list_too(client, auth, make_idea, make_user):
    idea = make_idea()
    make_user("bob", display_name="Bob Stone")
    auth.signin("bob")
    url = idea_url(idea, "/vote")
    assert 'name="voters" value="shown"' in page_of(client, idea)
    cast = client.post(url, data={"action": "cast", "voters": "shown"}, headers=HTMX)
    body = cast.get_data(as_text=True)
    assert cast.status_code == 200 and 'aria-pressed="true"' in body
    assert 'name="voters" value="shown"' in body  # the next click sends it again
    voters = body[body.index('id="voters"') - 30:]
    assert 'hx-swap-oob="true"' in voters and "2 votes" in voters and "Bob Stone" in voters
    assert "How important is this to you?" in body[body.index('id="importance-slot"'):]
    retract = client.post(url, data={"action": "retract", "voters": "shown"}, headers=HTMX)
    voters = retract.get_data(as_text=True)
    assert "1 vote<" in voters and "Bob Stone" not in voters
    assert '<div id="importance-slot" hx-swap-oob="true"></div>' in voters
    board = client.post(url, data={"action": "cast"}, headers=HTMX)  # from a list
    assert 'id="voters"' not in board.get_data(as_text=True)


def test_voting_without_javascript_redirects_back(client, auth, make_user, make_idea):
    idea = make_idea()
    make_user("bob")
    auth.signin("bob")
    response = client.post(idea_url(idea, "/vote"), data={"action": "cast", "next": ""})
    assert response.status_code == 302
    reload(idea)
    assert idea.vote_count == 2


@pytest.mark.parametrize("status", ["shipped", "declined", "duplicate"])
def test_closed_ideas_take_no_votes_and_say_why(client, auth, make_user, make_idea,
                                                make_staff, status):
    idea = make_idea()
    staff = make_staff(idea.company, "team")
    services.change_status(staff, idea, status)
    make_user("bob")
    auth.signin("bob")
    response = client.post(idea_url(idea, "/vote"), data={"action": "cast"})
    assert response.status_code == 403
    assert "Voting is closed" in response.get_data(as_text=True)
    reload(idea)
    assert idea.vote_count == 1


def test_votes_on_hidden_ideas_are_404(client, auth, make_user, make_idea):
    from forum.threads import posting

    author = make_user("alice")
    idea = make_idea(author=author)
    opening = db.session.scalar(select(Post).where(Post.thread_id == idea.thread_id))
    posting.delete_post(author, opening)
    make_user("bob")
    auth.signin("bob")
    assert client.post(idea_url(idea, "/vote"), data={"action": "cast"}).status_code == 404


def test_a_vote_at_another_companys_address_is_404(client, auth, make_user, make_idea,
                                                   make_company):
    idea = make_idea()
    make_company("other")
    make_user("bob")
    auth.signin("bob")
    for url, message in [(f"/c/other/ideas/{idea.thread_id}/vote", "does not exist"),
                         (f"/c/nowhere/ideas/{idea.thread_id}/vote", "no company")]:
        response = client.post(url, data={"action": "cast"})
        assert response.status_code == 404 and message in response.get_data(as_text=True)
    reload(idea)
    assert idea.vote_count == 1


def test_a_vote_reads_the_idea_once_and_writes_in_place(client, auth, make_user, make_idea,
                                                        count_queries):
    idea = make_idea()
    make_user("bob")
    auth.signin("bob")
    url = idea_url(idea, "/vote")
    # The voter with their roles and bans (may they vote, and does the button say so);
    # the company in the URL (is it a private space they may not see); the idea with its
    # thread and company. Then
    # the vote, the count, the priority score, the event and the content version; a new
    # voter with a confirmed address is also placed in the segment their domain matches.
    for action, selects, statements in (("cast", 3, 9), ("retract", 3, 8)):
        with count_queries() as queries:
            response = client.post(url, data={"action": action},
                                   headers={"HX-Request": "true"})
        assert response.status_code == 200
        reads = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
        assert (len(reads), len(queries)) == (selects, statements)


def test_staff_change_status_with_a_public_note(client, auth, make_idea, make_staff):
    idea = make_idea()
    make_staff(idea.company, "team", "theo")
    auth.signin("theo")
    response = client.post(idea_url(idea, "/status"),
                           data={"status": "planned", "note": "Coming in **May**."})
    assert response.status_code == 302
    reload(idea)
    assert idea.status == "planned" and idea.status_changed_at is not None
    change = db.session.scalar(select(StatusChange))
    assert (change.from_status, change.to_status) == ("open", "planned")
    auth.signout()
    page = page_of(client, idea)
    assert "changed the status to" in page and "<strong>May</strong>" in page
    main = page[page.index('id="main"'):]
    assert "Official" in main
    assert main.index("Latest from") < main.index("Because it would help")


def test_status_changes_only_by_this_companys_staff(client, auth, make_user, make_idea,
                                                    make_company, make_staff):
    idea = make_idea()
    make_user("mallory")
    auth.signin("mallory")
    assert client.post(idea_url(idea, "/status"), data={"status": "shipped"}).status_code == 403
    auth.signout()
    make_staff(make_company("rival"), "owner", "rivalboss")
    auth.signin("rivalboss")
    assert client.post(idea_url(idea, "/status"), data={"status": "declined"}).status_code == 403
    reload(idea)
    assert idea.status == "open"


def test_unknown_status_is_refused(client, auth, make_idea, make_staff):
    idea = make_idea()
    make_staff(idea.company, "team", "theo")
    auth.signin("theo")
    response = client.post(idea_url(idea, "/status"), data={"status": "teleported"})
    assert response.status_code == 400
    assert "Choose one of the statuses in the list." in response.get_data(as_text=True)


def test_status_changes_work_on_locked_ideas(make_idea, make_staff):
    from forum.threads import state

    idea = make_idea()
    staff = make_staff(idea.company, "team")
    state.set_locked(staff, idea.thread, True)
    services.change_status(staff, idea, "shipped", "Done.")
    reload(idea)
    assert idea.status == "shipped"


def test_tags_filter_the_board(client, auth, make_company, make_staff, make_idea):
    company = make_company("acme")
    staff = make_staff(company, "team", "theo")
    app_tag = services.create_tag(staff, company, "Mobile app")
    tagged = make_idea(company, title="Widgets on the home screen", tag_ids=[app_tag.id])
    make_idea(company, title="Bigger water tank please")
    page = client.get("/c/acme/ideas?tag=mobile-app").get_data(as_text=True)
    assert tagged.thread.title in page and "Bigger water tank" not in page
    auth.signin("theo")
    client.post(idea_url(tagged, "/tags"), data={"tags": []})
    reload(tagged)
    assert tagged.tags == []


def test_board_sorts_and_filters(client, make_company, make_idea, make_user, make_staff):
    company = make_company("acme")
    popular = make_idea(company, title="Popular idea with votes")
    for _ in range(3):
        votes.cast_vote(make_user(), popular)
    planned = make_idea(company, title="Planned idea on the way")
    services.change_status(make_staff(company, "team"), planned, "planned")
    newest = make_idea(company, title="Brand new idea just now")
    top = client.get("/c/acme/ideas?sort=top").get_data(as_text=True)
    assert top.index(popular.thread.title) < top.index(newest.thread.title)
    new = client.get("/c/acme/ideas?sort=new").get_data(as_text=True)
    assert new.index(newest.thread.title) < new.index(popular.thread.title)
    filtered = client.get("/c/acme/ideas?status=planned").get_data(as_text=True)
    assert planned.thread.title in filtered and popular.thread.title not in filtered
    assert client.get("/c/acme/ideas?sort=nonsense&status=bogus").status_code == 200


def test_board_scrolls_with_htmx(client, make_company, make_idea):
    company = make_company("acme")
    for _ in range(25):
        make_idea(company)
    first = client.get("/c/acme/ideas").get_data(as_text=True)
    assert 'hx-trigger="click, revealed"' in first
    more = client.get("/c/acme/ideas?page=2", headers={"HX-Request": "true"})
    body = more.get_data(as_text=True)
    assert "<html" not in body and body.count('class="idea-row"') == 5


def test_merge_moves_votes_and_closes_the_duplicate(client, auth, make_idea, make_user,
                                                    make_staff):
    original = make_idea(title="Export to PDF please")
    duplicate = make_idea(original.company, title="PDF export would be great")
    both = make_user()
    votes.cast_vote(both, original)
    votes.cast_vote(both, duplicate)
    votes.cast_vote(make_user(), duplicate)
    make_staff(original.company, "team", "theo")
    auth.signin("theo")
    response = client.post(idea_url(duplicate, "/merge"),
                           data={"into": str(original.thread_id), "note": "Same request"})
    assert response.status_code == 302
    reload(original, duplicate)
    assert duplicate.merged_into_id == original.id and duplicate.status == "duplicate"
    assert original.vote_count == 4  # 2 + the duplicate's 3 - the one who voted for both
    assert original.vote_count == db.session.scalar(
        select(func.count()).select_from(Vote).where(Vote.idea_id == original.id))
    assert "merged into" in page_of(client, duplicate)
    auth.signout()
    make_user("late")
    auth.signin("late")
    refused = client.post(idea_url(duplicate, "/vote"), data={"action": "cast"})
    assert refused.status_code == 403 and "merged" in refused.get_data(as_text=True)


def test_roadmap_shows_planned_in_progress_and_shipped(client, make_idea, make_staff,
                                                       make_company):
    company = make_company("acme")
    staff = make_staff(company, "team")
    shown = {}
    for status in ("planned", "in_progress", "shipped", "declined"):
        idea = make_idea(company, title=f"Roadmap idea {status}")
        services.change_status(staff, idea, status)
        shown[status] = idea.thread.title
    page = client.get("/c/acme/roadmap").get_data(as_text=True)
    assert all(shown[s] in page for s in ("planned", "in_progress", "shipped"))
    assert shown["declined"] not in page


def test_profile_shows_ideas_and_votes_with_status(client, make_user, make_idea,
                                                   make_company, make_staff):
    alice = make_user("alice")
    make_idea(make_company("acme", name="Acme"), author=alice, title="Alice's own idea")
    theirs = make_idea(make_company("zeta", name="Zeta"), title="Someone else's idea")
    votes.cast_vote(alice, theirs)
    services.change_status(make_staff(theirs.company, "team"), theirs, "planned")
    page = client.get("/u/alice").get_data(as_text=True)
    assert "Alice&#39;s own idea" in page and "Someone else&#39;s idea" in page
    assert "Planned" in page and "at Zeta" in page


def test_similar_ideas_while_typing_come_from_the_index(client, make_company, make_idea,
                                                        run_indexer):
    company = make_company("acme")
    make_idea(company, title="Schedule the grinder from the app",
              body="Start grinding beans at a set time every morning.")
    make_idea(company, title="Bigger water tank", body="Two litres would be better.")
    make_idea(make_company("other"), title="Schedule the grinder remotely")
    run_indexer()
    fragment = client.get("/c/acme/ideas/similar?title=schedule+the+grinder",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Schedule the grinder from the app" in fragment
    assert "water tank" not in fragment and "remotely" not in fragment
    assert client.get("/c/acme/ideas/similar?title=").get_data(as_text=True).strip() == ""
    unrelated = client.get("/c/acme/ideas/similar?title=purple+umbrella+festival")
    assert unrelated.get_data(as_text=True).strip() == ""


def test_staff_see_possible_duplicates_to_merge(client, auth, make_company, make_idea,
                                                make_staff, run_indexer):
    company = make_company("acme")
    first = make_idea(company, title="Export notes to PDF files",
                      body="I want to print my notes as PDF.")
    second = make_idea(company, title="PDF export for notes",
                       body="Print notes to PDF please.")
    make_idea(company, title="Dark mode", body="Night time reading.")
    run_indexer()
    make_staff(company, "team", "theo")
    auth.signin("theo")
    page = page_of(client, second)
    assert "Possible duplicates" in page and first.thread.title in page
    assert "Merge into it" in page and "Dark mode" not in page[page.index("Possible"):]


def test_platform_trending_spans_companies(client, make_company, make_idea):
    first = make_idea(make_company("acme", name="Acme"), title="Acme idea here")
    second = make_idea(make_company("zeta", name="Zeta"), title="Zeta idea here")
    page = client.get("/ideas").get_data(as_text=True)
    assert first.thread.title in page and second.thread.title in page


def test_status_enum_labels():
    assert Status("in_progress").label == "In progress"


@pytest.mark.parametrize("own_statuses", [False, True])
@pytest.mark.parametrize("path", ["board", "trending", "idea", "roadmap", "board_filtered"])
def test_idea_pages_run_a_fixed_number_of_queries(client, auth, make_company, make_idea,
                                                  make_user, make_staff, count_queries,
                                                  path, own_statuses):
    company = make_company("acme")
    staff = make_staff(company, "team")
    if own_statuses:  # the company's list is rows, each idea's label read with it
        statuses.rename_status(staff, company, "planned", "On the list")
    tag = services.create_tag(staff, company, "app")
    watched = make_idea(company, title="The idea we watch")
    viewer = make_user("viewer")

    def grow(times: int) -> None:
        for _ in range(times):
            idea = make_idea(company, tag_ids=[tag.id])
            votes.cast_vote(make_user(), idea)
            services.change_status(staff, idea, "planned", "On it")
            votes.cast_vote(make_user(), watched)
            from forum.threads import posting

            posting.post_reply(make_user(), watched.thread, f"Comment {idea.id}")

    urls = {"board": "/c/acme/ideas", "trending": "/ideas", "roadmap": "/c/acme/roadmap",
            "board_filtered": "/c/acme/ideas?status=planned&tag=app&sort=top",
            "idea": f"/c/acme/ideas/{watched.thread_id}-{watched.thread.slug}"}
    auth.signin(viewer.username)
    assert_queries_stay_flat(client, count_queries, urls[path], grow, large=6)


def test_a_suspended_customer_sees_why_instead_of_a_vote_button(app, make_user, make_idea):
    # Sessions of suspended accounts end at their next request (load_session_user), so
    # the button is rendered for one signed in as they are suspended, as a token would be.
    idea = make_idea()
    bob = make_user("bob")
    bob.suspended_until = utcnow() + timedelta(days=3)
    db.session.commit()
    reason = f"You are suspended until {policy.day(bob.suspended_until)}."
    with app.test_request_context(f"/c/{idea.company.slug}/ideas"):
        bob.session_key = "a-session-that-is-never-looked-up"  # what get_id() names
        login_user(bob)
        button = render_template("ideas/_vote_button.html", idea=idea, voted=False)
    assert 'class="vote-button closed"' in button and reason in button
    assert "<button" not in button and "/vote" not in button
    with pytest.raises(NotAllowed, match=reason):
        votes.cast_vote(bob, idea)


def test_a_closed_idea_says_why_on_its_page(client, make_idea, make_staff):
    idea = make_idea()
    services.change_status(make_staff(idea.company, "team"), idea, "shipped")
    page = page_of(client, idea)
    assert "Sign in to vote for" in page  # visitors are offered to sign in, as before
    assert 'class="vote-button closed"' not in page


def test_a_retraction_is_asked_of_the_policy(make_user, make_idea, make_staff):
    idea = make_idea()
    bob = make_user("bob")
    votes.cast_vote(bob, idea)
    services.change_status(make_staff(idea.company, "team"), idea, "declined")
    with pytest.raises(NotAllowed, match="Voting is closed: this idea is declined"):
        votes.retract_vote(bob, idea)
    reload(idea)
    assert idea.vote_count == 2
