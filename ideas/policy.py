"""Who may propose, vote, and steer ideas, and what they are told when they may not.

Registered with each app by `ideas.init_app`, next to forum's rules.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from forum.companies.models import Company, Role
from forum.hooks import Rule
from forum.policy import Decision, check, not_banned, signed_in, staff, view_company
from ideas.models import Idea


class IdeaAction(StrEnum):
    """What ideas' rules decide."""

    PROPOSE = "propose_idea"
    VOTE = "vote"
    RETRACT_VOTE = "retract_vote"
    RECORD_VOTE = "record_vote"
    CHANGE_STATUS = "change_status"
    MERGE = "merge_idea"
    UNMERGE = "unmerge_idea"
    TAG = "tag_idea"
    MANAGE_TAGS = "manage_tags"
    TRIAGE = "triage_ideas"
    PUBLISH_CHANGELOG = "publish_changelog"
    PRIORITISE = "prioritise_ideas"
    MANAGE_STATUSES = "manage_statuses"
    IMPORT_IDEAS = "import_ideas"


def _open_for_votes(idea: Idea) -> Decision:
    """Votes move only while the company has not decided (nor merged the idea away)."""
    return (check(not idea.thread.is_hidden, "This idea was removed.")
            and check(idea.merged_into_id is None,
                      "This idea was merged into another one: vote there instead.")
            and check(not idea.is_closed,
                      f"Voting is closed: this idea is {idea.status_label.lower()}."))


def _vote(user: Any, idea: Idea) -> Decision:
    return (signed_in(user, "vote") and view_company(user, idea.company)
            and not_banned(user, idea.company) and _open_for_votes(idea))


def _retract_vote(user: Any, idea: Idea) -> Decision:
    # A vote stays counted once the idea is decided: the tally is part of the record.
    return signed_in(user, "change your vote") and _open_for_votes(idea)


def _record_vote(user: Any, idea: Idea) -> Decision:
    """A customer who asked by mail or on a call: the product team records their vote,
    while the idea takes votes."""
    return (staff(user, idea.company, "Only the company's product team records votes for "
                  "customers.", (Role.TEAM, Role.OWNER))
            and _open_for_votes(idea))


def _propose(user: Any, company: Company) -> Decision:
    return (signed_in(user, "propose an idea") and view_company(user, company)
            and not_banned(user, company))


def _idea_staff(reason: str) -> Rule:
    """A rule over an Idea: its company's staff and site admins."""
    return lambda user, idea: staff(user, idea.company, reason)


RULES: dict[str, Rule] = {
    IdeaAction.PROPOSE: _propose,
    IdeaAction.VOTE: _vote,
    IdeaAction.RETRACT_VOTE: _retract_vote,
    IdeaAction.RECORD_VOTE: _record_vote,
    IdeaAction.CHANGE_STATUS: _idea_staff("Only the company's staff change an idea's status."),
    IdeaAction.MERGE: _idea_staff("Only the company's staff merge ideas."),
    IdeaAction.UNMERGE: _idea_staff("Only the company's staff undo a merge."),
    IdeaAction.TAG: _idea_staff("Only the company's staff tag ideas."),
    IdeaAction.MANAGE_TAGS: lambda user, company: staff(
        user, company, "Only the company's staff manage its tags."),
    # The product team's inbox: its team members and owners (moderators keep the peace,
    # they do not steer the product).
    IdeaAction.TRIAGE: lambda user, company: staff(
        user, company, "Only the company's product team triages its ideas.",
        (Role.TEAM, Role.OWNER)),
    IdeaAction.PUBLISH_CHANGELOG: lambda user, company: staff(
        user, company, "Only the company's product team publishes its changelog.",
        (Role.TEAM, Role.OWNER)),
    # Segments, weights and estimates: the team's own view of who is asking.
    IdeaAction.PRIORITISE: lambda user, company: staff(
        user, company, "Only the company's product team sets its priorities.",
        (Role.TEAM, Role.OWNER)),
    IdeaAction.MANAGE_STATUSES: lambda user, company: staff(
        user, company, "Only the company's product team manages its statuses.",
        (Role.TEAM, Role.OWNER)),
    # Thousands of ideas and invited accounts in the company's name: its owners decide.
    IdeaAction.IMPORT_IDEAS: lambda user, company: staff(
        user, company, "Only the company's owners import ideas.", (Role.OWNER,)),
}
