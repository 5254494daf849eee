"""Topic forms: validation only."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forum.idempotency import SubmissionTokenField
from forum.text import REASON_MAX, collapse_whitespace, normalise_newlines
from forum.topics.services import (
    BODY_EMPTY_MESSAGE,
    BODY_LENGTH_MESSAGE,
    BODY_MAX,
    TITLE_LENGTH_MESSAGE,
    TITLE_MAX,
    TITLE_MIN,
)

# The forms check the same text the services store: titles with their whitespace
# collapsed, bodies with browser CRLF newlines turned into LF (each counts once).
_title = dict(
    filters=[collapse_whitespace],
    validators=[
        DataRequired("Give your topic a title."),
        Length(min=TITLE_MIN, max=TITLE_MAX, message=TITLE_LENGTH_MESSAGE),
    ],
)
#: forum/static/js/composer.js adds its toolbar, mentions, drafts and uploads to these.
_composer = {"data-composer": "", "rows": 8}
_body_validators = [DataRequired(BODY_EMPTY_MESSAGE), Length(max=BODY_MAX, message=BODY_LENGTH_MESSAGE)]


class NewTopicForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    title = StringField("Title", **_title)
    body = TextAreaField("Describe your question", filters=[normalise_newlines], validators=_body_validators,
                         render_kw=_composer)


class ReplyForm(FlaskForm):
    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    body = TextAreaField("Your reply", filters=[normalise_newlines], validators=_body_validators, render_kw=_composer)
    parent_id = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,18}$", message="Bad reply target.")])


class PinForm(FlaskForm):
    pinned = HiddenField(validators=[DataRequired(), Regexp(r"^[01]$")])
    #: Shown publicly in the moderation log; the service refuses an empty one.
    reason = StringField("Reason", validators=[Optional(), Length(max=500)])


_revision = [DataRequired(), Regexp(r"^[0-9]{1,9}$", message="Bad revision number.")]


class EditPostForm(FlaskForm):
    """The edit of a post's text (and, for the opening post, the topic's title), by its
    author or by a moderator (who must give a reason; the service checks)."""

    #: One-time token: a repeated submit returns the first result (forum.idempotency).
    submission_token = SubmissionTokenField()
    title = StringField(
        "Title", filters=[collapse_whitespace],
        validators=[Optional(), Length(min=TITLE_MIN, max=TITLE_MAX, message=TITLE_LENGTH_MESSAGE)],
    )
    body = TextAreaField("Text", filters=[normalise_newlines], validators=_body_validators, render_kw=_composer)
    reason = StringField("Reason for the edit", validators=[Optional(), Length(max=REASON_MAX)])
    personal_data = BooleanField("The old text exposed personal data: show it to staff only in the history")
    #: The revision numbers the editor started from (stale-edit check).
    base_revision = HiddenField(validators=_revision)
    base_title_revision = HiddenField(validators=_revision)
