"""What a reply says: the new text of an incoming mail, without the quoted history
and the signature.

* The ``text/plain`` part is preferred; a mail with only HTML is converted to text
  with html-text, after removing the quoting that mail programs mark up (Gmail's
  ``gmail_quote``, Apple Mail's and Thunderbird's ``<blockquote type="cite">``,
  Outlook's ``divRplyFwdMsg`` and what follows it) and marked signatures.
* mail-parser-reply then cuts the text at the first quote header ("On ... wrote:",
  Outlook's "From: / Sent:" block, "-----Original Message-----") and drops the
  signature ("-- ", "Sent from my iPhone", "Best regards, ..."); Markdown lists
  starting with "- " are kept.
* Whatever trails the text as ``>`` quoted lines is dropped too.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import html_text
from lxml import etree
from mailparser_reply import EmailMessage as ParsedReply

#: Languages whose quote headers and sign-offs are recognised (English always is).
LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]

#: HTML that is the quoted history or a signature, in the common mail programs.
_QUOTE_XPATH = (
    "//blockquote | //*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')]"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' moz-signature ')]"
    " | //*[@id='Signature'] | //*[@data-smartmail='gmail_signature']"
)
#: Outlook marks where the quoted mail starts; it and everything after it goes.
_OUTLOOK_XPATH = "//*[@id='divRplyFwdMsg' or @id='appendonsend' or @id='stopSpelling' or @id='x_divRplyFwdMsg']"
_TRAILING_QUOTE_RE = re.compile(r"(?:\n[ \t]*>[^\n]*)+\s*\Z")


class NoText(ValueError):
    """The message has no text part at all (only attachments, or nothing)."""


def html_to_text(html: str) -> str:
    """The text of an HTML mail body, quoted history and marked signatures removed."""
    tree = html_text.parse_html(html)
    for node in tree.xpath(_OUTLOOK_XPATH)[:1]:
        while node is not None and node.getparent() is not None:
            for later in list(node.itersiblings()):
                later.getparent().remove(later)
            parent = node.getparent()
            parent.remove(node)
            node = parent if parent.tag not in ("body", "html") else None
    for node in tree.xpath(_QUOTE_XPATH):
        if node.getparent() is not None:
            node.getparent().remove(node)
    return html_text.extract_text(tree)


def body_text(msg: EmailMessage) -> str:
    """The text of the message's body: ``text/plain`` when there is one, else its HTML
    as text. Raises :class:`NoText` when there is neither."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        raise NoText("no text part")
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if not isinstance(content, str):
        raise NoText("not text")
    if part.get_content_subtype() == "html":
        try:
            return html_to_text(content)
        except (etree.ParserError, ValueError):
            raise NoText("unreadable HTML") from None
    return content


def strip_reply(text: str) -> str:
    """The new part of a reply's text: no quoted history, no signature."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parsed = ParsedReply(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    reply = parsed.replies[0].body if parsed.replies else ""
    reply = _TRAILING_QUOTE_RE.sub("", "\n" + reply)
    return reply.strip()


def reply_text(msg: EmailMessage) -> str:
    """What the member wrote in reply (may be empty)."""
    return strip_reply(body_text(msg))
