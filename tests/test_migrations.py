"""The Alembic migrations build exactly the schema the models describe, on both
backends, and can be undone and replayed."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from forum import create_app
from forum.extensions import db


def _schema_diff(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
    return compare_metadata(context, db.metadata)


def test_models_match_migrated_database(app):
    """What ``flask db check`` does: autogenerate against the migrated DB finds nothing."""
    with app.app_context(), db.engine.connect() as connection:
        assert _schema_diff(connection) == []


@pytest.fixture
def scratch_app(tmp_path):
    """A fresh app on its own SQLite file, separate from the shared session database."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'scratch.sqlite'}",
            "SECRET_KEY": "scratch",
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def _tables(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def test_downgrade_to_base_and_upgrade_again(scratch_app):
    model_tables = {t.name for t in db.metadata.sorted_tables}
    with scratch_app.app_context():
        upgrade()
    assert model_tables <= _tables(scratch_app)

    with scratch_app.app_context():
        downgrade(revision="base")
    assert _tables(scratch_app) - {"alembic_version"} == set()

    with scratch_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert _schema_diff(connection) == []
    assert model_tables <= _tables(scratch_app)
