"""Idea forms: shape only; ideas.services decides."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.threads.posting import MAX_BODY, MAX_TITLE
from ideas.models import Status
from ideas.services import MAX_NOTE


class ProposeForm(FlaskForm):
    title = StringField("Your idea, in one line",
                        validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField("Why would it help you?",
                         validators=[DataRequired(), Length(max=MAX_BODY)])
    tags = SelectMultipleField("Tags (optional)", coerce=int, validators=[Optional()])


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[SelectChoice(s.value, s.label) for s in Status])
    note = TextAreaField("Public note (optional)", validators=[Length(max=MAX_NOTE)])


class TagsForm(FlaskForm):
    tags = SelectMultipleField("Tags", coerce=int, validators=[Optional()])


class NewTagForm(FlaskForm):
    name = StringField("New tag", validators=[DataRequired(), Length(max=40)])


class MergeForm(FlaskForm):
    into = StringField("Merge into idea number", validators=[DataRequired(), Length(max=12)])
    note = TextAreaField("Public note (optional)", validators=[Length(max=MAX_NOTE)])
