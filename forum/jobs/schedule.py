"""The periodic work, in one place: what Celery beat runs and when (``forum jobs beat``).
Each name is a ``forum.jobqueue.periodic`` function declared by its feature; each also
has a ``forum ...`` command for a deployment that runs cron instead of beat."""

from celery.schedules import crontab

#: name -> when. A name no feature registered is left out of beat's schedule (logged).
SCHEDULE = {
    # Relay outbox rows a crash left behind; retry stuck ones; delete old finished rows.
    "jobs.sweep": 60.0,
    # Apply the search outbox (rows written by scripts or left by a failed drain).
    "search.drain": 30.0,
    # Q&A sessions: open, start, end and archive on their windows; "now live" notifications.
    "qa_events.tick": 60.0,
    # Case lifecycle: remind silent askers, auto-resolve (forum helpdesk auto-resolve).
    "helpdesk.auto_resolve": crontab(minute=15, hour="*/1"),
    # Daily notification digests (forum notifications send-digests).
    "notifications.send_digests": crontab(minute=0, hour=7),
    # Insights rollups (forum insights rollup): history for /staff/insights, kept live.
    "insights.rollup": 300.0,
    # Webhooks: queue the retries that are due; delete old finished deliveries (forum webhooks retry).
    "webhooks.retry": 15.0,
}
