"""``forum demo``: seed a realistic demo community. Safe to run twice."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Blueprint, current_app
from sqlalchemy import func, select

from forum.accounts import services as accounts
from forum.admin import services as admin
from forum.extensions import db
from forum.models import Category, Topic, User
from forum.models.base import utcnow
from forum.topics import services as topics

demo_cli = Blueprint("demo_cli", __name__, cli_group=None)

DEMO_PASSWORD = "demo-community-2026"  # noqa: S105 - printed for anyone to try the demo

USERS = [
    # username, role, display name
    ("alex.admin", "admin", "Alex (Admin)"),
    ("dana.hayes", "executive", "Dana Hayes"),
    ("care.priya", "staff", "Priya from Customer Care"),
    ("care.tom", "staff", "Tom from Customer Care"),
    ("mod.sam", "moderator", "Sam"),
    ("jess_k", "member", None),
    ("marco.r", "member", None),
    ("oldphone_owen", "member", None),
    ("niamh.d", "member", None),
    ("ravi.travels", "member", None),
]

CATEGORIES = [
    ("Network & coverage", "network-coverage", "Signal, 4G/5G, outages and dead spots."),
    ("Billing", "billing", "Bills, charges, refunds and payment methods."),
    ("Devices", "devices", "Phones, settings, eSIM and handset problems."),
    ("Roaming", "roaming", "Using your phone abroad: charges, set-up and data."),
    ("SIM, number & porting", "sim-porting", "SIM swaps, lost SIMs, PAC codes and keeping your number."),
    ("Voicemail & calls", "voicemail-calls", "Voicemail set-up, call forwarding and Wi-Fi calling."),
]

# (category slug, author, title, body, replies); replies: (author, body, children)
TOPICS = [
    ("network-coverage", "jess_k", "No 4G indoors since last week in Leeds city centre",
     "Since about Tuesday my phone drops to 3G or *no service* as soon as I'm inside my flat (LS1). "
     "Outdoors it's fine. I've restarted the phone and reset network settings.\n\nAnyone else?",
     [("marco.r", "Same here in LS2, mostly in the evenings.", [
         ("jess_k", "Evenings are the worst for me too. Did you report it?", [
             ("marco.r", "Not yet, I wasn't sure where to.", [
                 ("care.priya", "Thanks both. You can report it from the coverage checker; I've also passed "
                  "your postcodes to our network team.", [
                     ("jess_k", "Thanks Priya, I'll keep an eye on it and report back here.", [])])])])]),
      ("care.priya", "Hi Jess, we're upgrading a mast near Leeds station this week, which can reduce indoor "
       "coverage nearby. Work should finish by Friday. **Wi-Fi Calling** will keep calls working indoors "
       "in the meantime: *Settings → Phone → Wi-Fi Calling*.", [
           ("jess_k", "Turned on Wi-Fi calling, calls work again. Thank you!", [])])]),
    ("billing", "oldphone_owen", "Charged twice for my monthly bundle",
     "My bill this month shows the £10 data bundle twice. I only added it once. How do I get a refund?",
     [("care.tom", "Sorry about that Owen. Double charges like this are usually refunded automatically within "
       "3 working days. If it hasn't appeared by then, reply here and we'll message you privately to sort it.", [
           ("oldphone_owen", "It's been refunded now, thanks Tom.", [])]),
      ("niamh.d", "Happened to me in March as well, the refund came through on its own.", [])]),
    ("roaming", "ravi.travels", "Does my plan include roaming in Ireland?",
     "Travelling to Dublin next month. Will I be charged for data?", [
         ("niamh.d", "I'm in Ireland a lot; on my plan it's included like at home.", []),
         ("care.priya", "Most of our monthly plans include roaming in Ireland at no extra cost, up to your "
          "normal allowance. Check *My account → Plan → Roaming* to be sure for yours.", [])]),
    ("voicemail-calls", "marco.r", "How do I change my voicemail greeting?",
     "I recorded a greeting years ago and want to change it.", [
         ("oldphone_owen", "Call 443 from your phone and pick option 3 in the menu.", [
             ("marco.r", "Option 3 was 'settings' for me, then 1 for greetings. Worked, thanks!", [])])]),
    ("sim-porting", "niamh.d", "Lost my phone abroad - how do I get a replacement SIM?",
     "Phone was stolen in Lisbon. I need my number back on a new SIM when I'm home on Sunday.", [
         ("care.tom", "Sorry to hear that. Please don't post account details here: we'll message you "
          "privately to block the SIM and order a replacement to your billing address.", [])]),
    ("devices", "jess_k", "eSIM transfer to a new phone keeps failing",
     "Trying to move my eSIM to a new phone and it says 'Unable to complete cellular plan change'.", []),
]


@demo_cli.cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no users at all.")
def demo_command(if_empty: bool) -> None:
    """Seed a demo community (idempotent) and print the demo logins."""
    if if_empty and db.session.scalar(select(func.count(User.id))) and not _is_seeded():
        click.echo("The database already has users; not seeding the demo.")
        return
    if _is_seeded():
        click.echo("The demo community is already seeded; nothing changed.")
    else:
        try:
            _seed()
        except accounts.AccountError as exc:
            db.session.rollback()
            raise click.ClickException(f"Cannot seed the demo: {exc} (a demo username or email is already in use).") from exc
        db.session.commit()
        click.echo("Seeded the demo community.")
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for username, role, _ in USERS:
        click.echo(f"  {username:<16} {role}")
    if current_app.config.get("STAFF_2FA_REQUIRED", True):
        click.echo("\nStaff roles sign in with two factors: the first sign-in of each staff login above opens the\n"
                   "enrolment page (scan the QR code with an authenticator app, or type its key; README.md).")


def _is_seeded() -> bool:
    return bool(db.session.scalar(select(func.count(User.id)).where(User.username_key == "alex.admin")))


def _seed() -> None:
    users: dict[str, User] = {}
    for username, role, display in USERS:
        user = accounts.create_user(
            username=username, email=f"{username}@demo.example", password=DEMO_PASSWORD, role=role, verified=True
        )
        user.display_name = display
        users[username] = user
    cats: dict[str, Category] = {}
    for name, slug, description in CATEGORIES:
        cat = db.session.scalar(select(Category).where(Category.slug == slug))
        cats[slug] = cat or admin.create_category(name=name, slug=slug, description=description)
    start = utcnow() - timedelta(days=len(TOPICS) * 2)
    for i, (slug, author, title, body, replies) in enumerate(TOPICS):
        topic = topics.create_topic(cats[slug], author=users[author], title=title, body=body)
        clock = [start + timedelta(days=i * 2)]
        topic.created_at = topic.last_post_at = clock[0]

        def add(parent, items, topic=topic, clock=clock):
            for r_author, r_body, children in items:
                post = topics.reply_to_topic(topic, author=users[r_author], body=r_body, parent=parent)
                clock[0] += timedelta(minutes=47)
                post.created_at = topic.last_post_at = clock[0]
                add(post, children)

        add(None, replies)
        for post in topic_posts(topic):
            if post.is_first:
                post.created_at = topic.created_at
    db.session.flush()
    pinned = db.session.scalar(select(Topic).where(Topic.title.startswith("No 4G indoors")))
    if pinned is not None:
        topics.set_pinned(pinned, True, actor=users["care.priya"], reason="Known issue: the fix and workarounds are in this thread.")
    from forum.messages.demo import seed_messages

    seed_messages(users)
    from forum.helpdesk.demo import seed_helpdesk

    seed_helpdesk(users)
    from forum.incidents.demo import seed_incidents

    seed_incidents(users)
    from forum.qa_events.demo import seed_qa_events

    seed_qa_events(users)


def topic_posts(topic: Topic):
    from forum.models import Post

    return db.session.scalars(select(Post).where(Post.topic_id == topic.id))
