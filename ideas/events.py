"""The event types ideas records, with the words the audit log shows for each."""

from __future__ import annotations

from forum.hooks import EventType

IDEA_PROPOSED = "idea.proposed"
IDEA_STATUS_CHANGED = "idea.status_changed"
IDEA_MERGED = "idea.merged"
IDEA_UNMERGED = "idea.unmerged"
IDEA_TAGGED = "idea.tagged"
IDEA_ASSIGNED = "idea.assigned"
IDEA_SEEN = "idea.seen"
CHANGELOG_PUBLISHED = "changelog.published"
TAG_CREATED = "tag.created"
TAG_DELETED = "tag.deleted"
STATUS_CREATED = "status.created"
STATUS_RENAMED = "status.renamed"
STATUS_MOVED = "status.moved"
STATUS_REMOVED = "status.removed"
VOTE_CAST = "vote.cast"
VOTE_RETRACTED = "vote.retracted"
VOTE_RECORDED = "vote.recorded"  # by a team member, for a customer (data: voter_id)
# A batch of up to 1,000 ideas imported from a file (data: thread_ids, counts); no one is
# notified of it.
IDEAS_IMPORTED = "ideas.imported"

_LABELS = {
    IDEA_PROPOSED: "proposed an idea",
    IDEA_STATUS_CHANGED: "changed an idea's status",
    IDEA_MERGED: "merged an idea",
    IDEA_UNMERGED: "unmerged an idea",
    IDEA_TAGGED: "tagged an idea",
    IDEA_ASSIGNED: "gave an idea an owner",
    IDEA_SEEN: "marked an idea seen",
    CHANGELOG_PUBLISHED: "published a changelog entry",
    TAG_CREATED: "added a tag",
    TAG_DELETED: "removed a tag",
    STATUS_CREATED: "added a status",
    STATUS_RENAMED: "renamed a status",
    STATUS_MOVED: "reordered the statuses",
    STATUS_REMOVED: "removed a status",
    VOTE_CAST: "voted",
    VOTE_RETRACTED: "took a vote back",
    VOTE_RECORDED: "recorded a vote for a customer",
    IDEAS_IMPORTED: "imported ideas from a file",
}

# What the company's staff do to customers' ideas and to the company's settings (the
# audit log's "staff and admin actions"); proposing and voting are everyone's.
STAFF_ACTIONS = frozenset({
    IDEA_STATUS_CHANGED, IDEA_MERGED, IDEA_UNMERGED, IDEA_TAGGED, IDEA_ASSIGNED, IDEA_SEEN,
    CHANGELOG_PUBLISHED, TAG_CREATED, TAG_DELETED, STATUS_CREATED, STATUS_RENAMED,
    STATUS_MOVED, STATUS_REMOVED, VOTE_RECORDED, IDEAS_IMPORTED,
})

IDEA_EVENT_TYPES = [EventType(name, label, name in STAFF_ACTIONS)
                    for name, label in _LABELS.items()]
