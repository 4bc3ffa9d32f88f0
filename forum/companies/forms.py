"""Company and staff forms."""

from __future__ import annotations

from wtforms import SelectChoice, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

from forum.companies.models import Role
from forum.companies.services import MAX_DESCRIPTION, MAX_NAME, MAX_TAGLINE
from forum.forms import Form


class CompanyForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME)])
    tagline = StringField("Tagline", validators=[Length(max=MAX_TAGLINE)])
    description = TextAreaField("Description", validators=[Length(max=MAX_DESCRIPTION)])
    website = URLField("Website", validators=[Optional(), Length(max=255)])
    logo_url = URLField("Logo URL", validators=[Optional(), Length(max=255)])


class NewCompanyForm(CompanyForm):
    slug = StringField("Address (slug)", validators=[DataRequired(), Length(max=40)])
    owner = StringField("First owner's username", validators=[DataRequired(), Length(max=30)])


class StaffForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(max=30)])
    role = SelectField(
        "Role", choices=[SelectChoice(role.value, role.value.title()) for role in Role]
    )


class CompanyRequestForm(Form):
    name = StringField("Company name", validators=[DataRequired(), Length(max=MAX_NAME)])
    slug = StringField("Wanted address (slug)", validators=[DataRequired(), Length(max=40)])
    website = URLField("Website", validators=[DataRequired(), Length(max=255)])
    work_email = StringField("Your work email", validators=[DataRequired(), Length(max=254)])


class DeclineForm(Form):
    note = TextAreaField("Why (the person who asked reads it)",
                         validators=[DataRequired(), Length(max=500)])


class GuestForm(Form):
    customer = StringField("Their username or email address",
                           validators=[DataRequired(), Length(max=254)])


class PrivacyForm(Form):
    private = SelectField("Who sees this space",
                          choices=[SelectChoice("public", "Everyone"),
                                   SelectChoice("private", "Only staff and guests")])
