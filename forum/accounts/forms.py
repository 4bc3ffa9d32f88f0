"""Account forms: they validate shape; the services decide."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forum.accounts.passwords import MAX_PASSWORD, MIN_PASSWORD
from forum.accounts.services import MAX_BIO, MAX_DISPLAY_NAME
from forum.forms import Form


class SignUpForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(3, 30)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)]
    )


class UsernameForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(3, 30)])


class SignInForm(Form):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField("Keep me signed in on this device")


class ProfileForm(Form):
    display_name = StringField("Display name", validators=[Length(max=MAX_DISPLAY_NAME)])
    bio = TextAreaField("Bio", validators=[Length(max=MAX_BIO)])


class PasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)]
    )


class ForgotPasswordForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(Form):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)]
    )


class EmailForm(Form):
    email = EmailField("New email address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Your password", validators=[DataRequired(),
                                                          Length(max=MAX_PASSWORD)])


class ClaimForm(Form):
    password = PasswordField(
        "Choose a password", validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)]
    )
