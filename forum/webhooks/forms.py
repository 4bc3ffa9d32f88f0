"""The webhook settings' forms; the service checks what they carry."""

from __future__ import annotations

from wtforms import SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from forum.forms import Form


class EndpointForm(Form):
    """Add or change an endpoint: where, what for, and which events."""

    url = StringField("Endpoint URL")
    description = StringField("Description (optional)")
    event_types = SelectMultipleField("Events to send", choices=[], validate_choice=False,
                                      widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput())
