"""The account deletion form."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forum.accounts.passwords import MAX_PASSWORD
from forum.forms import Form


class DeleteAccountForm(Form):
    # Required by the service of accounts that have one (a provider-made account has none).
    password = PasswordField("Your password", validators=[Length(max=MAX_PASSWORD)])
    confirmation = StringField("Type your username to confirm",
                               validators=[DataRequired(), Length(max=30)])
    erase = BooleanField("Also erase my posts (hide them) instead of keeping them under "
                         "\"deleted account\"")
