"""People forms: validation only."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField


class AvatarForm(FlaskForm):
    picture = FileField("Upload a picture")
