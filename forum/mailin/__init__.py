"""Reply by email (issue 19): notification mails carry a per-recipient reply address;
a reply sent to it becomes a post in the topic, or a message in the private
conversation. Mail arrives through ``forum mail receive`` (one message on standard
input, for an MTA pipe) or the built-in SMTP receiver ``forum mail smtpd``. See
docs/integrations-email.md."""

from flask import Blueprint

#: The ``forum mail`` command group; reply by email has no pages.
bp = Blueprint("mailin", __name__, cli_group="mail")

from forum.mailin import cli  # noqa: E402,F401

#: What the app factory registers for this feature.
blueprints = (bp,)
