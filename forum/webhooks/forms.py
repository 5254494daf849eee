"""The endpoint form (validation only; the service checks the address)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from forum.text import collapse_whitespace
from forum.webhooks.events import CATALOGUE


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField("Endpoint URL", filters=[collapse_whitespace],
                      validators=[DataRequired("Give the endpoint's URL."), Length(max=500)])
    description = StringField("Description (for admins)", filters=[collapse_whitespace], validators=[Length(max=500)])
    events = _Checkboxes("Events", choices=[SelectChoice(name, f"{name}: {text}") for name, text in CATALOGUE.items()],
                         validators=[DataRequired("Choose at least one event from the list.")])
    is_active = BooleanField("Active (deliver events)", default=True)
