"""Alembic environment for the forum. Run through ``forum db ...`` (Flask-Migrate),
which provides the app, its engine and its metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

_migrate = current_app.extensions["migrate"]
target_metadata = _migrate.db.metadata


def _skip_empty_autogenerate(context_, revision, directives):
    """Do not write an empty revision file when the models did not change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _configure_args() -> dict:
    args = dict(_migrate.configure_args)
    args.setdefault("process_revision_directives", _skip_empty_autogenerate)
    return args


def run_migrations_offline() -> None:
    url = str(_migrate.db.engine.url.render_as_string(hide_password=False))
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, **_configure_args())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with _migrate.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **_configure_args())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
