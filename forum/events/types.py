"""Event types: each named once, with the words the audit log shows for it."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from forum.hooks import EventType, hooks_of

THREAD_STARTED = "thread.started"
POST_CREATED = "post.created"
POST_EDITED = "post.edited"
POST_HIDDEN = "post.hidden"
POST_RESTORED = "post.restored"
POST_FLAGGED = "post.flagged"
FLAGS_DISMISSED = "post.flags_dismissed"
FLAG_THRESHOLD_SET = "company.flag_threshold_set"
APPEAL_FILED = "appeal.filed"
APPEAL_DECIDED = "appeal.decided"
REVIEW_ESCALATED = "review.escalated"
POST_REDACTED = "post.redacted"
THREAD_PINNED = "thread.pinned"
THREAD_UNPINNED = "thread.unpinned"
THREAD_LOCKED = "thread.locked"
THREAD_UNLOCKED = "thread.unlocked"
THREAD_MOVED = "thread.moved"
ANSWER_ACCEPTED = "thread.answer_accepted"
ANSWER_CLEARED = "thread.answer_cleared"
CATEGORY_SAVED = "category.saved"
CATEGORY_DELETED = "category.deleted"
COMPANY_CREATED = "company.created"
COMPANY_UPDATED = "company.updated"
COMPANY_REQUESTED = "company_request.filed"
COMPANY_REQUEST_CONFIRMED = "company_request.email_confirmed"
COMPANY_REQUEST_APPROVED = "company_request.approved"
COMPANY_REQUEST_DECLINED = "company_request.declined"
STAFF_ROLE_SET = "staff.role_set"
STAFF_REMOVED = "staff.removed"
USER_REGISTERED = "user.registered"
USER_PROFILE_UPDATED = "user.profile_updated"
USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 (an event name)
USER_SUSPENDED = "user.suspended"
USER_EMAIL_CONFIRMED = "user.email_confirmed"
USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 (an event name)
USER_UNSUSPENDED = "user.unsuspended"
USER_INVITED = "user.invited"
USER_CLAIMED = "user.claimed"
USER_BANNED = "user.banned"
USER_BAN_LIFTED = "user.ban_lifted"
USER_IDENTITY_LINKED = "user.identity_linked"
USER_IDENTITY_UNLINKED = "user.identity_unlinked"
USER_DELETED = "user.deleted"
USER_DATA_EXPORTED = "user.data_exported"
COMPANY_EXPORTED = "company.exported"
WATCHED_WORD_ADDED = "company.watched_word_added"
WATCHED_WORD_REMOVED = "company.watched_word_removed"
COMPANY_PRIVACY_SET = "company.privacy_set"
GUEST_ADDED = "company.guest_added"
GUEST_REMOVED = "company.guest_removed"
API_TOKEN_CREATED = "company.api_token_created"  # noqa: S105 (an event name)
API_TOKEN_REVOKED = "company.api_token_revoked"  # noqa: S105 (an event name)
WEBHOOK_SAVED = "webhook.saved"
WEBHOOK_SWITCHED = "webhook.switched"
WEBHOOK_DELETED = "webhook.deleted"
WEBHOOK_SECRET_ROLLED = "webhook.secret_rolled"  # noqa: S105 (an event name)
WEBHOOK_TEST_SENT = "webhook.test_sent"
WEBHOOK_RESENT = "webhook.resent"

_LABELS: Mapping[str, str] = {
    THREAD_STARTED: "started a thread",
    POST_CREATED: "replied",
    POST_EDITED: "edited a post",
    POST_HIDDEN: "removed a post",
    POST_RESTORED: "restored a removed post",
    POST_FLAGGED: "flagged a post",
    FLAGS_DISMISSED: "kept a flagged post (dismissed its flags)",
    FLAG_THRESHOLD_SET: "set how many flags hide a post",
    APPEAL_FILED: "appealed a removal",
    APPEAL_DECIDED: "decided an appeal",
    REVIEW_ESCALATED: "escalated a flagged post to the site admins",
    POST_REDACTED: "edited personal information out of a post",
    THREAD_PINNED: "pinned a thread",
    THREAD_UNPINNED: "unpinned a thread",
    THREAD_LOCKED: "locked a thread",
    THREAD_UNLOCKED: "unlocked a thread",
    THREAD_MOVED: "moved a thread",
    ANSWER_ACCEPTED: "accepted an answer",
    ANSWER_CLEARED: "cleared an accepted answer",
    CATEGORY_SAVED: "saved a category",
    CATEGORY_DELETED: "removed a category",
    COMPANY_CREATED: "opened a company",
    COMPANY_UPDATED: "changed company settings",
    COMPANY_REQUESTED: "asked for a company's space",
    COMPANY_REQUEST_CONFIRMED: "proved a company's work email, for review",
    COMPANY_REQUEST_APPROVED: "approved a request for a company's space",
    COMPANY_REQUEST_DECLINED: "declined a request for a company's space",
    STAFF_ROLE_SET: "gave a staff role",
    STAFF_REMOVED: "removed a staff member",
    USER_REGISTERED: "joined",
    USER_PROFILE_UPDATED: "edited a profile",
    USER_PASSWORD_CHANGED: "changed a password",
    USER_SUSPENDED: "suspended an account",
    USER_EMAIL_CONFIRMED: "confirmed an email address",
    USER_PASSWORD_RESET: "reset a forgotten password",
    USER_UNSUSPENDED: "lifted a suspension",
    USER_INVITED: "made an account for someone, by invitation",
    USER_CLAIMED: "claimed an invited account",
    USER_BANNED: "banned someone from posting at a company",
    USER_BAN_LIFTED: "lifted a ban from posting at a company",
    USER_IDENTITY_LINKED: "linked an identity provider's account to sign in with",
    USER_IDENTITY_UNLINKED: "unlinked an identity provider's account",
    USER_DELETED: "deleted an account",
    USER_DATA_EXPORTED: "downloaded their data",
    COMPANY_EXPORTED: "exported a company's data",
    WATCHED_WORD_ADDED: "added a watched word",
    WATCHED_WORD_REMOVED: "removed a watched word",
    COMPANY_PRIVACY_SET: "made a company's space private or public",
    GUEST_ADDED: "invited a customer into a private space",
    GUEST_REMOVED: "took a guest out of a private space",
    API_TOKEN_CREATED: "made an API token for a company",
    API_TOKEN_REVOKED: "revoked an API token of a company",
    WEBHOOK_SAVED: "saved a webhook",
    WEBHOOK_SWITCHED: "enabled or disabled a webhook",
    WEBHOOK_DELETED: "deleted a webhook",
    WEBHOOK_SECRET_ROLLED: "rolled a webhook's signing secret",
    WEBHOOK_TEST_SENT: "sent a webhook a test event",
    WEBHOOK_RESENT: "resent a webhook delivery",
}

# Changes that show on pages everywhere (a person's name next to their posts, a company's
# name and logo): kept pages of every company are stale after them, not only their own.
# A space gone private or public changes what every page may list (the directory, search,
# profiles), and a thread page is kept under its thread, not its company.
SHOWN_EVERYWHERE = frozenset({USER_PROFILE_UPDATED, USER_DELETED, COMPANY_UPDATED,
                              COMPANY_PRIVACY_SET})

# What staff and site admins do to other people's content or to settings: the audit log's
# "staff and admin actions" filter keeps these, when the actor is staff of the event's
# company or a site admin (post.edited and post.hidden only when not by the author).
STAFF_ACTIONS = frozenset({
    POST_EDITED, POST_HIDDEN, POST_RESTORED, FLAGS_DISMISSED, FLAG_THRESHOLD_SET,
    REVIEW_ESCALATED, POST_REDACTED, APPEAL_DECIDED, THREAD_PINNED, THREAD_UNPINNED, THREAD_LOCKED,
    THREAD_UNLOCKED, THREAD_MOVED, ANSWER_ACCEPTED, ANSWER_CLEARED, CATEGORY_SAVED,
    CATEGORY_DELETED, COMPANY_CREATED, COMPANY_UPDATED, STAFF_ROLE_SET, STAFF_REMOVED,
    USER_SUSPENDED, USER_UNSUSPENDED, USER_INVITED, COMPANY_PRIVACY_SET, GUEST_ADDED,
    GUEST_REMOVED, COMPANY_EXPORTED, API_TOKEN_CREATED, API_TOKEN_REVOKED,
    WEBHOOK_SAVED, WEBHOOK_SWITCHED, WEBHOOK_DELETED, WEBHOOK_SECRET_ROLLED,
    WEBHOOK_TEST_SENT, WEBHOOK_RESENT,
})

FORUM_EVENT_TYPES = [EventType(name, label, name in STAFF_ACTIONS)
                     for name, label in _LABELS.items()]


def staff_action_types(app: Flask) -> frozenset[str]:
    """The types of this app (forum's and its plug-ins') that staff do to others."""
    return frozenset(name for name, kind in hooks_of(app).event_types.items()
                     if kind.staff_action)


def event_types(app: Flask) -> Mapping[str, str]:
    """Every type this app records (forum's and its plug-ins'), with its audit-log label."""
    return {name: kind.description for name, kind in hooks_of(app).event_types.items()}
