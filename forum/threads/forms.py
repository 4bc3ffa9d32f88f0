"""Discussion forms: shape only; the services decide."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from forum.forms import Form, IdField
from forum.threads.models import FORUM_KINDS
from forum.threads.posting import MAX_BODY, MAX_TITLE

KIND_LABELS = {
    "question": "Question: you want an answer",
    "problem": "Problem: something is not working",
    "praise": "Praise: something made your day",
    "discussion": "Discussion: let's talk about it",
}


class ThreadForm(Form):
    kind = SelectField("What is it?", choices=[
        SelectChoice(kind.value, KIND_LABELS[kind.value]) for kind in FORUM_KINDS])
    category = SelectField("Category", coerce=int, validators=[InputRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)])
    official = BooleanField("Post as the company")


class ReplyForm(Form):
    body = TextAreaField("Your reply", validators=[DataRequired(), Length(max=MAX_BODY)])
    official = BooleanField("Post as the company (official answer)")


class EditPostForm(Form):
    title = StringField("Title", validators=[Optional(), Length(max=MAX_TITLE)])
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)])


class AcceptForm(Form):
    post_id = IdField(widget=HiddenInput(), message="Choose the answer from this thread's posts.")


class MoveForm(Form):
    category = SelectField("Move to", coerce=int, validators=[InputRequired()])


class CategoryForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=60)])
    slug = StringField("Slug", validators=[DataRequired(), Length(max=40)])
    description = StringField("Description", validators=[Length(max=300)])
    position = IntegerField("Order", default=0, validators=[NumberRange(0, 1000)])
