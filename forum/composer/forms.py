"""Composer forms: validation only."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField

from forum.text import normalise_newlines


class PreviewForm(FlaskForm):
    """The composer's text, as the posting forms receive it (same filter)."""

    body = TextAreaField(filters=[normalise_newlines])


class UploadForm(FlaskForm):
    image = FileField("Screenshot or image")
