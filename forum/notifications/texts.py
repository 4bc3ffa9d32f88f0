"""What forum's own events tell whom (ideas registers its own in ideas/notifications.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.companies.models import CompanyRequest
from forum.events import types as events
from forum.events.log import LoggedEvent
from forum.hooks import MailKind, NotificationText
from forum.moderation.models import Appeal
from forum.notifications.models import COMPANY, THREAD
from forum.notifications.notifier import ANSWERS, MENTIONS, followers, mentioned
from forum.threads.models import Kind, Post, PostKind, Thread


def _reply(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """A reply reaches the thread's followers and whoever it mentions by name; a status
    announcement is told by its own event instead."""
    if event.data.get("kind") != PostKind.REPLY or event.subject_id is None:
        return []
    return [*mentioned(session, [event.subject_id]),
            *followers(session, THREAD, event.thread_id)]


def _new_thread(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """Followers of a company hear of its new ideas and its official announcements."""
    if event.data.get("kind") != Kind.IDEA and not event.data.get("official"):
        return []
    return followers(session, COMPANY, event.company_id, "company")


def _answer(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """The one who asked, and everyone following the question."""
    author = session.scalar(select(Thread.author_id).where(Thread.id == event.thread_id))
    return [*([(author, "author")] if author else []),
            *followers(session, THREAD, event.thread_id)]


def _removed(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """A post removed (or restored) by someone else: its author hears by whom and why
    (of a restore on appeal, through the appeal's decision)."""
    if event.data.get("appeal_id"):
        return []
    author = session.scalar(select(Post.author_id).where(Post.id == event.subject_id))
    return [(author, "moderation")] if author and author != event.actor_id else []


def _appeal_filed(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """The moderator the appeal was assigned to; the site admins when there was none."""
    if assignee := event.data.get("assignee_id"):
        return [(assignee, "appeal")]
    return _admins(session, "appeal")


def _admins(session: Session, reason: str) -> list[tuple[int, str]]:
    return [(admin, reason) for admin in session.scalars(
        select(User.id).where(User.is_site_admin.is_(True)))]


def _appeal_decided(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """The author who appealed hears the decision and its reason."""
    author = session.scalar(select(Appeal.author_id).where(Appeal.id == event.subject_id))
    return [(author, "moderation")] if author else []


def _site_admins(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """A company's moderators escalated a flagged post: every site admin decides."""
    return _admins(session, "site_admin")


def _banned(_session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """A ban, or its early end: the person it concerns hears until when and why."""
    person = event.data.get("user_id")
    return [(person, "moderation")] if person else []


def _space_reviewers(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """A request whose work email is proved waits for the site admins."""
    return _admins(session, "space_review")


def _requester(session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """Whoever asked for the space hears the decision (and why, when declined)."""
    requester = session.scalar(select(CompanyRequest.requester_id)
                               .where(CompanyRequest.id == event.subject_id))
    return [(requester, "space_request")] if requester else []


def _guest(_session: Session, event: LoggedEvent) -> Iterable[tuple[int, str]]:
    """A customer let into a private space hears where it is."""
    person = event.data.get("user_id")
    return [(person, "guest")] if person else []


# What each kind of mail is, and how it reaches someone who never chose: what was
# addressed to you at once, what is only news in the daily digest.
REPLIES, NEWS, MODERATION = "replies", "news", "moderation"
SPACES = "spaces"
FORUM_MAIL_KINDS = [
    MailKind(MENTIONS, "Someone mentions you by name", "now"),
    MailKind(ANSWERS, "A company answers or an answer is accepted in a thread you follow",
             "now"),
    MailKind(REPLIES, "New replies in threads and ideas you follow", "daily"),
    MailKind(NEWS, "New ideas and announcements from companies you follow", "daily"),
    MailKind(MODERATION, "A moderator removes or restores something you wrote, and why",
             "now"),
    MailKind(SPACES, "Company spaces: your request decided, others' to review, and "
             "invitations into private spaces", "now"),
]

FORUM_REASONS = {
    "following": "You follow this.",
    "author": "You started this thread.",
    "mention": "You were mentioned by name.",
    "company": "You follow this company.",
    "moderation": "It is about something you wrote.",
    "appeal": "You are asked to decide an appeal.",
    "site_admin": "You are a site admin.",
    "space_review": "You are a site admin: requests for a company's space wait for you.",
    "space_request": "You asked for this company's space.",
    "guest": "The company invited you into its private space.",
}

FORUM_NOTIFICATIONS = [
    NotificationText(events.POST_CREATED, _reply, "notifications/_post_created.html",
                     REPLIES),
    NotificationText(events.THREAD_STARTED, _new_thread, "notifications/_thread_started.html",
                     NEWS),
    NotificationText(events.ANSWER_ACCEPTED, _answer, "notifications/_answer_accepted.html",
                     ANSWERS),
    NotificationText(events.POST_HIDDEN, _removed, "notifications/_post_hidden.html",
                     MODERATION, even_if_hidden=True),
    NotificationText(events.POST_RESTORED, _removed, "notifications/_post_restored.html",
                     MODERATION),
    NotificationText(events.APPEAL_FILED, _appeal_filed, "notifications/_appeal_filed.html",
                     MODERATION, even_if_hidden=True),
    NotificationText(events.APPEAL_DECIDED, _appeal_decided,
                     "notifications/_appeal_decided.html", MODERATION, even_if_hidden=True),
    NotificationText(events.POST_REDACTED, _removed, "notifications/_post_redacted.html",
                     MODERATION),
    # Told even when the threshold hid the post pending review: admins see hidden posts.
    NotificationText(events.REVIEW_ESCALATED, _site_admins,
                     "notifications/_review_escalated.html", MODERATION, even_if_hidden=True),
    NotificationText(events.USER_BANNED, _banned, "notifications/_user_banned.html",
                     MODERATION, even_if_hidden=True),
    NotificationText(events.USER_BAN_LIFTED, _banned, "notifications/_user_ban_lifted.html",
                     MODERATION, even_if_hidden=True),
    NotificationText(events.GUEST_ADDED, _guest, "notifications/_guest_added.html", SPACES),
    NotificationText(events.COMPANY_REQUEST_CONFIRMED, _space_reviewers,
                     "notifications/_company_request_confirmed.html", SPACES,
                     endpoint="admin.company_requests"),
    NotificationText(events.COMPANY_REQUEST_APPROVED, _requester,
                     "notifications/_company_request_decided.html", SPACES,
                     endpoint="companies.my_requests"),
    NotificationText(events.COMPANY_REQUEST_DECLINED, _requester,
                     "notifications/_company_request_decided.html", SPACES,
                     endpoint="companies.my_requests"),
]

