"""Demo data for Q&A sessions: one past session with answers, one upcoming."""

from __future__ import annotations

from datetime import timedelta

from forum.models import User
from forum.models.base import utcnow
from forum.qa_events import services


def seed_qa_events(users: dict[str, User]) -> None:
    """Seed two sessions with ``dana.hayes`` (the demo executive)."""
    now = utcnow()
    dana, priya, admin = users["dana.hayes"], users["care.priya"], users["alex.admin"]
    start = now - timedelta(days=30)
    past = services.create_event(
        actor=admin, title="Ask Dana: coverage and billing", slug="ask-dana-coverage-billing",
        executive=dana, executive_title="Chief Customer Officer",
        intro="Dana leads Customer Care. Ask anything about **coverage**, bills and how we can do better.",
        questions_open_at=start, questions_close_at=start + timedelta(days=3, hours=1),
        live_starts_at=start + timedelta(days=3), live_ends_at=start + timedelta(days=3, hours=1), now=start,
    )
    asked = [
        ("jess_k", "When will indoor 4G in Leeds city centre be fixed for good?"),
        ("oldphone_owen", "Why do refunds for double charges take three working days?"),
        ("ravi.travels", "Will roaming in the EU stay included in monthly plans next year?"),
    ]
    questions = []
    for i, (name, body) in enumerate(asked):
        questions.append(services.submit_question(past, author=users[name], body=body, now=start + timedelta(hours=i + 1)))
    for voter in ("marco.r", "niamh.d", "ravi.travels"):
        services.vote(questions[0], voter=users[voter], now=start + timedelta(hours=5))
    services.vote(questions[2], voter=users["niamh.d"], now=start + timedelta(hours=6))
    live = start + timedelta(days=3, minutes=5)
    services.transition(past, "live", actor=priya, reason="We are live", now=live)
    services.answer_question(questions[0], author=dana,
                             body="The new mast near the station is finished. Indoor coverage should be back to normal; "
                                  "tell us in *Network & coverage* if it is not.", now=live)
    services.answer_question(questions[2], author=dana,
                             body="Yes: EU roaming stays included in every monthly plan in 2027.", now=live + timedelta(minutes=10))
    services.answer_question(questions[1], author=priya, kind="follow_up",
                             body="We are checking with our billing team and will come back to you here.",
                             now=live + timedelta(minutes=20))
    services.tick(now=now)  # answered, then archived by the clock
    soon = now + timedelta(days=7)
    services.create_event(
        actor=admin, title="Ask Dana: 5G roll-out", slug="ask-dana-5g",
        executive=dana, executive_title="Chief Customer Officer",
        intro="Questions open a few days before the live hour. Press *Remind me* to hear when it starts.",
        questions_open_at=now + timedelta(days=2), questions_close_at=soon + timedelta(hours=1),
        live_starts_at=soon, live_ends_at=soon + timedelta(hours=1), now=now,
    )
