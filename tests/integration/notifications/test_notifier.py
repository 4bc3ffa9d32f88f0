"""Every follower and voter hears of every outcome, exactly once, and of nothing hidden."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.events.models import Event
from forum.extensions import db
from forum.moderation import hiding
from forum.notifications import services
from forum.notifications.models import Notification, Subscription
from forum.notifications.runtime import get_notifier_runtime
from forum.threads import posting
from ideas import merging, votes
from ideas import services as ideas


def heard(user) -> list[tuple[str, str]]:
    """(event type, reason) of each notification a person has, oldest first."""
    db.session.rollback()
    rows = db.session.execute(
        select(Notification.reason, Notification.event_id).where(Notification.user_id == user.id)
        .order_by(Notification.id)).all()

    types = dict(db.session.execute(select(Event.id, Event.type)).all())
    return [(types[event_id], reason) for reason, event_id in rows]


def test_voters_hear_of_every_status_change_once(make_idea, make_user, make_staff, notify):
    idea = make_idea()
    voter, team = make_user("voter"), make_staff(idea.company, "team")
    votes.cast_vote(voter, idea)
    ideas.change_status(team, idea, "planned", "Spring.")
    ideas.change_status(team, idea, "shipped", "Out now.")
    assert notify() > 0
    assert heard(voter) == [("idea.status_changed", "voted"), ("idea.status_changed", "voted")]
    assert heard(idea.thread.author).count(("idea.status_changed", "voted")) == 2
    assert heard(team) == []  # never of one's own action
    assert notify() == 0  # running again sends nothing twice


def test_a_reply_reaches_followers_and_mentions_but_not_its_author(make_thread, make_user,
                                                                   notify):
    thread = make_thread()
    follower, replier, named = make_user("follower"), make_user("replier"), make_user("named")
    posting.post_reply(follower, thread, "I have this too.")  # replying follows the thread
    posting.post_reply(replier, thread, "Same here, @named, any idea?")
    notify()
    assert heard(follower) == [("post.created", "following")]
    assert heard(named) == [("post.created", "mention")]
    assert ("post.created", "following") in heard(thread.author)  # starting follows too
    assert heard(replier) == []


def test_nobody_hears_of_a_reply_hidden_before_the_notifier_ran(make_thread, make_user,
                                                                 notify):
    thread = make_thread()
    follower, troll = make_user("follower"), make_user("troll")
    posting.post_reply(follower, thread, "Following along.")
    notify()
    post = posting.post_reply(troll, thread, "Something nasty, @follower")
    posting.delete_post(troll, post)
    notify()
    assert heard(follower) == []
    assert heard(thread.author) == [("post.created", "following")]  # the follower's reply


def test_a_muted_thread_is_silent_but_a_mention_still_arrives(make_thread, make_user,
                                                              notify):
    thread = make_thread()
    quiet = make_user("quiet")
    posting.post_reply(quiet, thread, "Subscribing.")
    services.set_following(quiet, thread, services.MUTED)
    posting.post_reply(make_user(), thread, "A reply nobody muted wants.")
    posting.post_reply(make_user(), thread, "But @quiet should see this.")
    notify()
    assert heard(quiet) == [("post.created", "mention")]
    replier = make_user("again")
    posting.post_reply(quiet, thread, "Replying does not undo a mute.")
    posting.post_reply(replier, thread, "Still muted?")
    notify()
    assert heard(quiet) == [("post.created", "mention")]


def test_company_followers_hear_of_new_ideas(make_company, make_user, notify):
    company = make_company()
    fan, proposer = make_user("fan"), make_user("proposer")
    services.set_following(fan, company, services.FOLLOWING)
    idea = ideas.propose_idea(proposer, company, title="A quieter grinder", body="Please.")
    notify()
    assert heard(fan) == [("thread.started", "company")]
    assert heard(proposer) == []
    assert db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.user_id == proposer.id, Subscription.target_id == idea.thread_id)) == 1


def test_the_author_hears_why_a_moderator_removed_their_post(make_thread, make_user, admin,
                                                             notify):
    thread = make_thread()
    author = make_user("author")
    post = posting.post_reply(author, thread, "Off topic, admittedly.")
    hiding.hide_post(admin, post, "off_topic", "Off topic")
    notify()
    assert ("post.hidden", "moderation") in heard(author)


def test_a_merge_tells_the_merged_ideas_voters(make_idea, make_user, make_staff, notify):
    duplicate = make_idea()
    original = make_idea(duplicate.company)
    voter = make_user("voter")
    votes.cast_vote(voter, duplicate)
    notify()
    merging.merge_ideas(make_staff(duplicate.company, "team"), duplicate, original)
    notify()
    assert ("idea.merged", "voted") in heard(voter)


def test_a_merge_moves_followers_and_voters_to_the_surviving_idea(
        make_idea, make_user, make_staff, make_thread, notify):
    duplicate = make_idea()
    original = make_idea(duplicate.company)
    follower, muter, voter = make_user("follower"), make_user("muter"), make_user("voter")
    services.set_following(follower, duplicate.thread, services.FOLLOWING)
    services.set_following(muter, duplicate.thread, services.FOLLOWING)
    services.set_following(muter, original.thread, services.MUTED)
    votes.cast_vote(voter, duplicate)
    notify()
    team = make_staff(duplicate.company, "team")
    merging.merge_ideas(team, duplicate, original)
    assert services.following(follower, original.thread) == services.FOLLOWING
    assert services.following(muter, original.thread) == services.MUTED  # a mute stays
    merged = db.session.scalar(select(Event).where(Event.type == "idea.merged"))
    # Everyone following the duplicate (its proposer and voter follow it by having acted)
    # and not yet following or muting the original.
    assert set(merged.data["followers_moved"]) == {follower.id, voter.id,
                                                   duplicate.thread.author_id}
    assert set(merged.data["voters_moved"]) == {voter.id, duplicate.thread.author_id}
    notify()  # the duplicate's own status change ("duplicate") reaches its followers
    before = {person: len(heard(person)) for person in (follower, voter, muter)}
    ideas.change_status(team, original, "planned", "Soon.")
    notify()
    assert heard(follower)[before[follower]:] == [("idea.status_changed", "following")]
    assert heard(voter)[before[voter]:] == [("idea.status_changed", "voted")]
    assert heard(muter)[before[muter]:] == []


def test_an_unmerge_tells_the_merged_ideas_voters_once_and_the_others_nothing(
        make_idea, make_user, make_staff, notify):
    duplicate = make_idea()
    original = make_idea(duplicate.company)
    voter, other_voter = make_user("voter"), make_user("other_voter")
    votes.cast_vote(voter, duplicate)
    votes.cast_vote(other_voter, original)
    team = make_staff(duplicate.company, "team")
    merging.merge_ideas(team, duplicate, original)
    notify()
    before = {person: len(heard(person)) for person in (voter, other_voter)}
    merging.unmerge_idea(team, duplicate, "Two different requests.")
    notify()
    # Its status back, with the note: the unmerge itself is no second notice.
    assert heard(voter)[before[voter]:] == [("idea.status_changed", "voted")]
    assert heard(other_voter)[before[other_voter]:] == []


def test_a_second_notifier_that_read_the_same_batch_writes_nothing(app, make_idea, make_user,
                                                                   make_staff, notify):
    idea = make_idea()
    votes.cast_vote(make_user("voter"), idea)
    db.session.commit()
    first = get_notifier_runtime(app).notifier()
    second = get_notifier_runtime(app).notifier()
    ideas.change_status(make_staff(idea.company, "team"), idea, "planned")
    assert first.run_until_idle() > 0
    assert second.run_until_idle() == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2
