"""Idea forms: shape only; ideas.services decides."""

from __future__ import annotations

from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.forms import Form, IdField
from forum.threads.posting import MAX_BODY, MAX_TITLE
from ideas.services import MAX_NOTE
from ideas.statuses import CATEGORY_LABELS, MAX_LABEL


class ProposeForm(Form):
    title = StringField("Your idea, in one line",
                        validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField("Why would it help you?",
                         validators=[DataRequired(), Length(max=MAX_BODY)])
    tags = SelectMultipleField("Tags (optional)", coerce=int, validators=[Optional()])


class StatusForm(Form):
    # The company's statuses: the view lists them, the service checks the choice.
    status = SelectField("Status", validate_choice=False)
    note = TextAreaField("Public note (optional)", validators=[Length(max=MAX_NOTE)])


class TagsForm(Form):
    tags = SelectMultipleField("Tags", coerce=int, validators=[Optional()])


class NewTagForm(Form):
    name = StringField("New tag", validators=[DataRequired(), Length(max=40)])


class MergeForm(Form):
    into = IdField("Merge into idea number", validators=[DataRequired()],
                   message="Give the number of the idea to merge into, as in its address.")
    note = TextAreaField("Public note (optional)", validators=[Length(max=MAX_NOTE)])


class UnmergeForm(Form):
    note = TextAreaField("Public note (optional)", validators=[Length(max=MAX_NOTE)])


class RecordVoteForm(Form):
    customer = StringField("Their username or email address",
                           validators=[DataRequired(), Length(max=254)])


class NewStatusForm(Form):
    label = StringField("Name of the new status",
                        validators=[DataRequired(), Length(max=MAX_LABEL)])
    category = SelectField("Category", choices=[SelectChoice(category.value, label)
                                                for category, label in CATEGORY_LABELS.items()])


class RenameStatusForm(Form):
    label = StringField("New name", validators=[DataRequired(), Length(max=MAX_LABEL)])


class RemoveStatusForm(Form):
    into = SelectField("Move its ideas to", validate_choice=False)
