"""A small HTML tree built with the standard library's ``html.parser``, so that tests
assert on the elements and attributes a browser would see, not on raw substrings."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)


class Node:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]], parent: Node | None = None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value if value is not None else ""
        return default

    @property
    def id(self) -> str | None:
        return self.get("id")

    @property
    def classes(self) -> set[str]:
        return set((self.get("class") or "").split())

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self) -> Iterator[Node]:
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, id: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes) and (id is None or n.id == id)
        ]

    def find(self, tag: str | None = None, *, cls: str | None = None, id: str | None = None) -> Node | None:
        found = self.find_all(tag, cls=cls, id=id)
        return found[0] if found else None

    def one(self, tag: str | None = None, *, cls: str | None = None, id: str | None = None) -> Node:
        found = self.find_all(tag, cls=cls, id=id)
        assert len(found) == 1, f"expected one <{tag or '*'} class={cls} id={id}>, found {len(found)}"
        return found[0]

    def __repr__(self) -> str:
        return f"<Node {self.tag} {dict(self.attrs)!r}>"


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [])
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, attrs, self.stack[-1]))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def page(resp) -> Node:
    return parse(resp.get_data(as_text=True))


def post_ids(doc: Node) -> list[int]:
    """Ids of the posts on a topic page, in page order."""
    return [int(a.id[1:]) for a in doc.find_all("article", cls="post")]
