"""What is kept of a reply: quoted history and signatures from Gmail, Outlook and Apple
Mail style replies are dropped, Markdown lists are kept, HTML becomes text."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from forum.mailin.parsing import NoText, body_text, html_to_text, reply_text, strip_reply

GMAIL = """Thanks, that fixed it!

I restarted the phone.

On Tue, 1 Dec 2026 at 18:00, Connect Community <
reply+2t1.abc.def@reply.community.example> wrote:

> Hello jess_k,
>
> care.priya replied in your topic.
"""

OUTLOOK = """Still no signal in Leeds.

________________________________
From: Connect Community <no-reply@community.example>
Sent: 01 December 2026 18:00
To: jess@example.com
Subject: [Connect Community] care.priya replied

Hello jess_k,
"""

OUTLOOK_OLD = """Works now, thank you.

-----Original Message-----
From: Connect Community
Sent: Tuesday, December 1, 2026 6:00 PM
Subject: care.priya replied
"""

APPLE = """Yes it works now

Sent from my iPhone

> On 1 Dec 2026, at 18:00, Connect Community <no-reply@community.example> wrote:
>
> Hello jess_k,
"""

SIGNATURE = """Here is what I tried:
- restart
- airplane mode

--
Jess K
Leeds, 0113 496 0000
"""

SIGN_OFF = """The new SIM works.

Kind regards,
Jess
"""

QUOTED_BELOW = """I have the same problem.
> the earlier message
> quoted without a header
"""


@pytest.mark.parametrize(("text", "expected"), [
    (GMAIL, "Thanks, that fixed it!\n\nI restarted the phone."),
    (OUTLOOK, "Still no signal in Leeds."),
    (OUTLOOK_OLD, "Works now, thank you."),
    (APPLE, "Yes it works now"),
    (SIGNATURE, "Here is what I tried:\n- restart\n- airplane mode"),
    (SIGN_OFF, "The new SIM works."),
    (QUOTED_BELOW, "I have the same problem."),
    ("Thanks, that worked.\nSecond line.", "Thanks, that worked.\nSecond line."),
    ("On Tue, 1 Dec 2026 at 18:00, Connect Community wrote:\n> Hello\n", ""),
], ids=["gmail", "outlook", "outlook-original-message", "apple", "signature", "sign-off", "quoted-lines",
        "thanks-first", "only-quote"])
def test_strip_reply(text, expected):
    assert strip_reply(text) == expected
    assert strip_reply(text.replace("\n", "\r\n")) == expected


def test_gmail_html_quote_and_signature_are_dropped():
    html = ('<div dir="ltr">Great, <b>thanks</b><div>second line</div><br>'
            '<div class="gmail_signature" data-smartmail="gmail_signature">Jess K, Leeds</div></div>'
            '<div class="gmail_quote"><div class="gmail_attr">On Tue wrote:</div><blockquote>old</blockquote></div>')
    assert html_to_text(html) == "Great, thanks\nsecond line"


def test_outlook_html_history_is_dropped():
    html = ('<html><body><div>New text</div><div id="appendonsend"></div><hr>'
            '<div id="divRplyFwdMsg"><b>From:</b> Connect Community</div><div>old stuff</div></body></html>')
    assert html_to_text(html) == "New text"


def test_apple_mail_html_blockquote_is_dropped():
    html = ('<html><body>Yes, fixed.<br><div><br><blockquote type="cite"><div>On 1 Dec 2026, Connect Community '
            'wrote:</div><div>Hello</div></blockquote></div></body></html>')
    assert html_to_text(html).strip() == "Yes, fixed."


def _parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_an_attachment_only_message_has_no_text():
    raw = (b"From: a@example.test\r\nTo: b@example.test\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n")
    with pytest.raises(NoText):
        body_text(_parse(raw))


def test_an_unknown_charset_is_read_rather_than_crashing():
    raw = (b"From: a@example.test\r\nTo: b@example.test\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nHello there\r\n")
    assert reply_text(_parse(raw)) == "Hello there"
