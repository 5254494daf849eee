"""The result page tells the truth: rendered snippets with highlights, staff badges,
and an exact count that does not change with the page."""

from __future__ import annotations

import re

from tests.search.test_page import _results, _titles


def test_snippets_come_from_the_rendered_text_not_markdown(app, build, make_user, category, search):
    alice = make_user("alice")
    with build() as b:
        b.topic(category, alice, title="Calls indoors", body="Turn on **Wi-Fi Calling** in *Settings* > `Phone`.")
    status, html = search(q="wifi calling")
    results = _results(html)
    assert status == 200
    assert "**" not in results
    assert "`" not in results
    assert re.search(r"<mark[^>]*>Wi-Fi</mark>", results)
    assert re.search(r"<mark[^>]*>Calling</mark>", results)


def test_customer_care_replies_are_badged_as_staff(app, build, make_user, category, search):
    alice, agent = make_user("alice"), make_user("agent", role="staff")
    with build() as b:
        topic = b.topic(category, alice, title="Router help", body="It keeps dropping.")
        b.reply(topic, agent, body="Zebrafix: restart the router.")
        b.reply(topic, alice, body="Zebrafix did not work for me.")
    html = _results(search(q="zebrafix", type="reply")[1])
    items = re.findall(r'<li class="search-result">(.*?)</li>', html, re.S)
    assert len(items) == 2
    staff_items = [i for i in items if 'class="badge badge-staff"' in i]
    assert len(staff_items) == 1
    assert "restart the router" in staff_items[0]


def test_count_is_exact_and_stable_across_pages(app, build, make_user, category, search):
    alice = make_user("alice")
    with build() as b:
        for i in range(23):
            b.topic(category, alice, title=f"Router question {i}", body="router " * (i % 4 + 1))
        b.topic(category, alice, title="Something else", body="voicemail")
    counts = set()
    seen = []
    for page in (1, 2, 3):
        html = search(q="router", page=str(page))[1]
        counts.add(re.search(r"(about )?(\d+) results? for", html).group(0))
        seen += _titles(html)
    assert counts == {"23 results for"}
    assert len(seen) == len(set(seen)) == 23


def test_a_common_word_counts_every_document(backend, app, standalone):
    """Whoosh pruned part-way (the collector's minimum score is on the final() scale):
    a word in thousands of documents showed a few hundred, or a dozen, results."""
    ram = standalone()
    docs = [{"id": f"t:{i}", "kind": "topic", "topic_id": i, "title": f"Topic {i}",
             "body": "roaming " * (1 + i % 7) + ("data " if i % 3 else ""), "resolved": i % 2 == 0}
            for i in range(1, 601)]
    ram.apply(docs, [])
    first, later = ram.search("roaming", per_page=10), ram.search("roaming", page=7, per_page=10)
    assert first.total == later.total == 600
    assert ram.search("roaming data").total == 600
    assert ram.search("roaming", per_page=10).hits[0].doc_id != ""
