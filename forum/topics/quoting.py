"""Quoting a post in a reply: its Markdown source as a blockquote."""

from __future__ import annotations

from forum.models import Post

#: Longest source quoted; a longer post is cut (at a line end when one is near).
QUOTE_MAX = 2_000


def quote_markdown(post: Post) -> str:
    """``> **@name** wrote:`` and the post's text, each line quoted, then a blank line."""
    body = post.body.strip()
    if len(body) > QUOTE_MAX:
        cut = body.rfind("\n", QUOTE_MAX - 200, QUOTE_MAX)
        body = body[: cut if cut > 0 else QUOTE_MAX].rstrip() + " …"
    who = post.author.shown_name if post.author.is_deleted else "@" + post.author.username
    lines = [f"> **{who}** wrote:", ">"] + [("> " + line).rstrip() for line in body.split("\n")]
    return "\n".join(lines) + "\n\n"
