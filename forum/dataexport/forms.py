"""The account deletion form."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forum.accounts.passwords import MAX_PASSWORD
from forum.forms import Form


class DeleteAccountForm(Form):
    password = PasswordField("Your password",
                             validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    confirmation = StringField("Type your username to confirm",
                               validators=[DataRequired(), Length(max=30)])
    erase = BooleanField("Also erase my posts (hide them) instead of keeping them under "
                         "\"deleted account\"")
