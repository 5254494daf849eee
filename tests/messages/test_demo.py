"""``forum demo`` seeds a couple of conversations, one linked to a topic with its notice."""

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Conversation, Message, Topic


def test_demo_seeds_conversations(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        convs = list(db.session.scalars(select(Conversation).order_by(Conversation.id)))
        assert len(convs) == 2
        assert convs[0].assigned_to_id is None
        assert convs[0].waiting_since is not None
        assert convs[1].topic_id is not None
        assert db.session.scalar(select(func.count(Message.id))) == 3
        contacted = db.session.get(Topic, convs[1].topic_id)
        assert contacted.private_contact_at is not None
