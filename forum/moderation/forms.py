"""Moderation forms: shape only; the services decide (reasons, lengths, who may)."""

from __future__ import annotations

from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from forum.forms import Form
from forum.moderation.models import REASON_LABELS, Reason

REASON_CHOICES = [(reason.value, REASON_LABELS[reason].capitalize()) for reason in Reason]


class FlagForm(Form):
    reason = StringField("Why?")  # one of REASON_CHOICES; the service says which are
    note = TextAreaField("Anything the moderators should know", validators=[Optional()])


class DecisionForm(Form):
    """Hide, keep, lock, ban, escalate or redact: a reason category (hide, lock, ban), a
    note (keep, restore, escalate, redact), how long (ban) and the post's edited text
    (redact)."""

    reason = StringField("Reason")
    note = TextAreaField("Note to the author", validators=[Optional()])
    body = TextAreaField("The post, with the personal information edited out",
                         validators=[Optional()])
    duration = StringField("For how long")  # one of bans.BAN_LENGTHS; the service checks


class BanForm(Form):
    """Ban someone by username from the bans page: how long, a reason category, a note."""

    username = StringField("Username", validators=[Optional()])
    duration = StringField("For how long")
    reason = StringField("Reason")
    note = TextAreaField("Note to the person", validators=[Optional()])


class LiftForm(Form):
    note = TextAreaField("Why lift it? The person is told.", validators=[Optional()])


class WatchedWordForm(Form):
    phrase = StringField("Word or phrase")
    action = StringField("What happens to a post with it")  # block or hold


class ThresholdForm(Form):
    threshold = IntegerField("Flags from trusted accounts that hide a post at once "
                             "(0: never)", validators=[InputRequired()])


class AppealForm(Form):
    text = TextAreaField("Why should your post come back?", validators=[Optional()])


class AppealDecisionForm(Form):
    """Restore or uphold; the note is the reason the author reads."""

    outcome = StringField("Decision")
    note = TextAreaField("Your reason (the author reads it)", validators=[Optional()])
