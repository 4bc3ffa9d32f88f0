"""The mail preferences form: one choice per kind of mail, built from the app's kinds."""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import SelectChoice, SelectField

from forum.forms import Form
from forum.hooks import MailKind
from forum.mail.models import DELIVERIES
from forum.mail.services import timezones

HOURS = [SelectChoice(str(hour), f"{hour:02d}:00") for hour in range(24)]


class PreferencesForm(Form):
    digest_hour = SelectField("Send the daily digest at", choices=HOURS)
    timezone = SelectField("Your timezone")

    def kind_fields(self) -> list[SelectField]:
        return [field for field in self if field.name.startswith("kind_")]


def preferences_form(kinds: Mapping[str, MailKind], **data: str) -> PreferencesForm:
    """A form class with a field per kind (named kind_<name>), filled from `data`."""
    deliveries = [SelectChoice(value, label) for value, label in DELIVERIES.items()]
    fields = {f"kind_{name}": SelectField(kind.label, choices=deliveries)
              for name, kind in kinds.items()}
    form_class = type("KindsPreferencesForm", (PreferencesForm,), fields)
    form = form_class(data=data)
    form.timezone.choices = [
        SelectChoice(zone, zone.rsplit("/", 1)[-1].replace("_", " ") if "/" in zone else zone,
                     optgroup=zone.split("/", 1)[0] if "/" in zone else None)
        for zone in timezones()]
    return form
