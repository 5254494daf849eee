"""The design system in a browser: the key pages of the demo community at a phone width
(390 px) and a laptop width (1280 px) have no horizontal overflow, no axe-core violation
and a focus outline at 3:1 or more against what surrounds it (WCAG 1.4.11); the phone
header's menu opens without JavaScript.

axe-core comes from npm (package.json / package-lock.json, installed by ``make test``) and is
served to the page from the local file under this server's own origin, so the forum's CSP
('self' scripts only) stays as it is. ``FORUM_UPDATE_SCREENSHOT=1`` writes the screenshots
to ``docs/screenshots/``; otherwise they go to a temporary folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forum.demo import DEMO_PASSWORD
from forum.extensions import db
from forum.models import Category, Incident, Topic

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__tests__/axe.min.js"  # answered by the test's route, never by the forum
WIDTHS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
TAB_STOPS = 14


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_helper_knows_the_reported_failure():
    # The old focus colour #ffbf47 on white was 1.6:1 (issue 17).
    assert round(contrast((255, 191, 71), (255, 255, 255)), 1) == 1.6
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)


# The focused element's outline colour and the opaque background it is drawn on (the
# parent's for an outline outside the element, its own for an inset one).
FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return {rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1}; };
  let node = parseFloat(cs.outlineOffset) < 0 ? el : el.parentElement;
  let bg = null;
  while (node) { const c = parse(getComputedStyle(node).backgroundColor); if (c && c.a > 0.5) { bg = c.rgb; break; } node = node.parentElement; }
  const box = el.getBoundingClientRect();
  return {what: el.outerHTML.slice(0, 90), style: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
          color: (parse(cs.outlineColor) || {rgb: [0, 0, 0]}).rgb, bg: bg || [255, 255, 255],
          visible: box.width > 0 && box.height > 0};
}"""


def check_focus(page: Page) -> list[str]:
    """Tab through the first stops: each shows a solid outline of 2px or more at 3:1."""
    problems = []
    page.locator("body").focus()
    for _ in range(TAB_STOPS):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUS_JS)
        if not info or not info["visible"]:
            continue
        ratio = contrast(tuple(info["color"]), tuple(info["bg"]))
        if info["style"] in ("none", "hidden") or info["width"] < 2 or ratio < 3:
            problems.append(f"{info['what']}: outline {info['style']} {info['width']}px, {ratio:.2f}:1")
    return problems


def check_axe(page: Page) -> list[str]:
    page.add_script_tag(url=AXE_URL)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]]


def check_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture(scope="module")
def demo_paths(demo_server):
    with demo_server.app.app_context():
        board = db.session.scalars(select(Category).order_by(Category.position)).first()
        topic = db.session.scalars(select(Topic).order_by(Topic.reply_count.desc(), Topic.id)).first()
        incident = db.session.scalars(select(Incident).order_by(Incident.id)).first()
        return {
            "home": "/", "board": f"/c/{board.slug}", "topic": f"/t/{topic.id}", "ask": f"/c/{board.slug}/new",
            "search": "/search?q=signal", "status": "/status", "incident": f"/status/{incident.id}",
            "messages": "/messages", "staff-queue": "/staff/queue", "staff-inbox": "/staff/inbox",
            "moderation-log": "/moderation-log", "styleguide": "/styleguide",
        }


#: Who looks at each page: a member for the member pages, staff for the staff pages.
VIEWER = {"ask": "jess_k", "messages": "jess_k", "staff-queue": "care.priya", "staff-inbox": "care.priya",
          "styleguide": "alex.admin"}
PAGES = ("home", "board", "topic", "ask", "search", "status", "incident", "messages", "staff-queue",
         "staff-inbox", "moderation-log", "styleguide")


def _signed_in_page(new_page, live, width: str, username: str | None) -> Page:
    page = new_page(viewport=WIDTHS[width])
    page.context.route(f"{live.url}{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    if username:
        page.goto(live.url + "/login")
        page.get_by_label("Username or email").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)
    return page


@pytest.fixture(scope="module")
def axe_available():
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `make test` (npm ci installs axe-core)")


@pytest.mark.parametrize("width", WIDTHS)
def test_key_pages_fit_pass_axe_and_show_focus(demo_server, new_page, demo_paths, axe_available, width, tmp_path):
    pages: dict[str | None, Page] = {}
    problems: dict[str, list] = {}
    update = os.environ.get("FORUM_UPDATE_SCREENSHOT") == "1"
    shots = ROOT / "docs" / "screenshots" if update else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    for name in PAGES:
        who = VIEWER.get(name, "jess_k" if name == "topic" else None)
        if who not in pages:
            pages[who] = _signed_in_page(new_page, demo_server, width, who)
        page = pages[who]
        response = page.goto(demo_server.url + demo_paths[name])
        assert response.status == 200, (name, response.status)
        found = []
        if (over := check_overflow(page)) > 0:
            found.append(f"{over}px wider than the {width} viewport")
        found += check_axe(page)
        found += check_focus(page)
        if found:
            problems[name] = found
        page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
        page.screenshot(path=str(shots / f"{name}-{width}.png"))
    assert problems == {}


def test_phone_header_is_short_and_its_menu_opens_without_javascript(demo_server, new_page):
    page = new_page(viewport=WIDTHS["phone"], javascript=False)
    page.goto(demo_server.url + "/login")
    page.get_by_label("Username or email").fill("care.priya")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    header = page.locator("header.site-header")
    assert header.bounding_box()["height"] <= 140  # was 245-276 px of an 844 px screen
    # The search box is 16px or more, so phones do not zoom into it.
    size = page.locator("#header-q").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 16
    # Staff queue and Settings are in the collapsed menu, which opens on a tap.
    menu = page.locator("details.account-menu")
    expect(menu.get_by_role("link", name="Staff queue")).to_be_hidden()
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="Staff queue")).to_be_visible()
    menu.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    # The logo shows on the header colour (it sits on a white chip).
    chip = page.locator(".brand-mark").evaluate("el => getComputedStyle(el).backgroundColor")
    assert chip == "rgb(255, 255, 255)"


@pytest.fixture(scope="module")
def incident_server(tmp_path_factory):
    """A forum of its own with two open incidents (the shared servers stay incident-free)."""
    from forum.accounts import services as account_services
    from forum.incidents import services as incident_services
    from tests.browser.conftest import _start, _stop

    live, server, thread = _start(tmp_path_factory.mktemp("incident"), "incident")
    with live.app.app_context():
        staff = account_services.create_user(username="care.ann", email="ann@example.test",
                                             password=DEMO_PASSWORD, role="staff", verified=True)
        for title in ("Texts delayed across the network", "No 4G in Leeds city centre since this morning"):
            incident = incident_services.open_incident(actor=staff, title=title, tags="4G", severity="major",
                                                       body="We are investigating.")
        db.session.commit()
        incident_id = incident.id
    yield live, incident_id
    _stop(live, server, thread)


def test_incident_banner_is_one_line_on_a_phone_and_opens_without_javascript(incident_server, new_page, axe_available,
                                                                             tmp_path):
    live, incident_id = incident_server
    shots = ROOT / "docs" / "screenshots" if os.environ.get("FORUM_UPDATE_SCREENSHOT") == "1" else tmp_path
    page = new_page(viewport=WIDTHS["phone"], javascript=False)
    page.goto(live.url + "/")
    banner = page.locator("#incident-banner")
    line = banner.locator("summary")
    assert banner.bounding_box()["height"] <= 48  # one line on a 844 px screen
    expect(line).to_contain_text("No 4G in Leeds")
    expect(banner.get_by_role("link", name="Texts delayed across the network")).to_be_hidden()
    line.click()
    expect(banner.get_by_role("link", name="Texts delayed across the network")).to_be_visible()
    expect(banner.get_by_role("link", name="Network status")).to_be_visible()
    assert check_overflow(page) <= 0
    page.screenshot(path=str(shots / "incident-banner-phone.png"))
    # With JavaScript for axe: the incident page, banner included, at both widths.
    for width in WIDTHS:
        page = _signed_in_page(new_page, live, width, None)
        page.goto(f"{live.url}/status/{incident_id}")
        assert check_overflow(page) <= 0, width
        assert check_axe(page) == [], width
        assert check_focus(page) == [], width
