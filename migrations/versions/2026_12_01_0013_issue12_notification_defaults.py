"""issue 12: email defaults per kind of notification, notifications about a topic

Revision ID: issue12_notification_defaults
Revises: issue18_sessions
Create Date: 2026-12-01 12:00:00

Existing accounts (the choice, documented in docs/architecture.md):

* ``users.email_notifications`` was one switch whose default was ``off``. A member who
  chose ``immediate`` or ``daily`` made an explicit choice: it is kept, as a row for every
  kind in ``email_preferences``.
* ``off`` cannot be told apart from "never opened the settings" (it was the column's
  default), so those members get the new defaults: email at once about their own
  topics, Customer Care answers and moderation of their posts, a daily digest for
  topics they follow. Every such mail carries a one-click unsubscribe.
* Notifications written before this migration are marked as emailed, so the first
  digest does not mail members their whole backlog.
"""
import sqlalchemy as sa
from alembic import op

revision = "issue12_notification_defaults"
down_revision = "issue18_self_service"
branch_labels = None
depends_on = None

CATEGORIES = ("replies", "staff", "moderation", "watched", "other")
# forum.notify.KIND_CATEGORIES as it stands today (a migration must not import the app).
KIND_CATEGORIES = {
    "reply": "replies", "message": "replies", "solution": "replies",
    "official_answer": "staff", "satisfaction": "staff", "qa_answer": "staff",
    "moderation": "moderation",
    "incident_update": "watched", "qa_live": "watched",
}


def upgrade():
    op.create_table(
        "email_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_email_preferences_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_preferences")),
        sa.UniqueConstraint("user_id", "category", name=op.f("uq_email_preferences_user_id")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=20), server_default="other", nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_notifications_topic_id_topics"), "topics", ["topic_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index("ix_notifications_user_topic", ["user_id", "topic_id", "read_at"], unique=False)

    conn = op.get_bind()
    notifications = sa.table("notifications", sa.column("kind", sa.String), sa.column("category", sa.String),
                             sa.column("emailed_at", sa.DateTime), sa.column("created_at", sa.DateTime))
    for kind, category in KIND_CATEGORIES.items():
        conn.execute(notifications.update().where(notifications.c.kind == kind).values(category=category))
    conn.execute(notifications.update().where(notifications.c.emailed_at.is_(None))
                 .values(emailed_at=notifications.c.created_at))

    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email_notifications", sa.String))
    prefs = sa.table("email_preferences", sa.column("user_id", sa.Integer), sa.column("category", sa.String),
                     sa.column("mode", sa.String), sa.column("updated_at", sa.DateTime(timezone=True)))
    now = sa.func.current_timestamp()
    for category in CATEGORIES:
        conn.execute(prefs.insert().from_select(
            ["user_id", "category", "mode", "updated_at"],
            sa.select(users.c.id, sa.literal(category), users.c.email_notifications, now)
            .where(users.c.email_notifications.in_(("immediate", "daily"))),
        ))
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it): batch mode would copy
    # and drop the users table, which every other table references.
    op.drop_column("users", "email_notifications")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_notifications", sa.String(length=10), server_default="off", nullable=False))
    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email_notifications", sa.String))
    prefs = sa.table("email_preferences", sa.column("user_id", sa.Integer), sa.column("category", sa.String),
                     sa.column("mode", sa.String))
    # The one switch takes the choice for replies to the member's own topics.
    conn.execute(users.update().values(email_notifications=sa.select(prefs.c.mode).where(
        prefs.c.user_id == users.c.id, prefs.c.category == "replies").scalar_subquery()).where(
        sa.exists().where(prefs.c.user_id == users.c.id, prefs.c.category == "replies")))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_topic")
        batch_op.drop_constraint(batch_op.f("fk_notifications_topic_id_topics"), type_="foreignkey")
        batch_op.drop_column("category")
        batch_op.drop_column("topic_id")
    op.drop_table("email_preferences")
