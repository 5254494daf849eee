"""The incident banner's two layouts: every open incident on a line for wide screens, and
one line that opens (a details element, no JavaScript) for phones; forum.css shows one."""

from __future__ import annotations

from tests.topics.dom import page


def test_banner_has_a_one_line_phone_summary_that_expands(client, make_incident):
    make_incident("No 4G in Leeds")
    make_incident("Texts delayed")
    banner = page(client.get("/")).find(id="incident-banner")
    wide = banner.find("ul", cls="incident-wide")
    assert [a.text for a in wide.find_all("a")] == ["Texts delayed", "No 4G in Leeds"]
    narrow = banner.find("details", cls="incident-narrow")
    assert narrow.find("summary").text.split() == ["Incident:", "Texts", "delayed", "(+1)"]
    assert [a.get("href") for a in narrow.find_all("a")][-1] == "/status"
    # The home page's network status says so too.
    glance = page(client.get("/")).find("section", cls="status-glance")
    assert "2 open incidents" in glance.text
