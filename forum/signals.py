"""Cross-feature wiring: features announce what happened; others listen.

Signals are sent by services inside the transaction, before the commit, so a
receiver's own writes (a log entry, a search outbox row, resolved state) join the
same transaction. Receivers must not commit. Side effects outside the database go
through :func:`forum.aftercommit.after_commit`.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Post. kwargs: none.
post_created = _signals.signal("post-created")
#: sender: the Post. kwargs: editor, revision.
post_edited = _signals.signal("post-edited")
#: sender: the Post. kwargs: actor (None if automatic), reason.
post_hidden = _signals.signal("post-hidden")
#: sender: the Post. kwargs: actor, reason.
post_restored = _signals.signal("post-restored")
#: sender: the Topic. kwargs: none.
topic_created = _signals.signal("topic-created")
#: sender: the Topic. kwargs: actor, old_category, reason.
topic_moved = _signals.signal("topic-moved")
#: sender: the Topic. kwargs: actor, reason, into (the target Topic).
topic_merged = _signals.signal("topic-merged")
#: sender: the Topic. kwargs: editor (title changes).
topic_edited = _signals.signal("topic-edited")

# --- search ---
#: sender: the Topic. kwargs: none. Its official answer, solution or resolved state changed.
topic_answer_changed = _signals.signal("topic-answer-changed")
#: sender: the Post. kwargs: user. Someone gave the post kudos.
kudos_given = _signals.signal("kudos-given")

# --- case lifecycle, private cases, incidents, flags (webhooks listen) ---
#: sender: the Topic. kwargs: from_state, to_state, event, actor (None if automatic).
#: Sent by helpdesk.cases.move after every recorded transition.
topic_state_changed = _signals.signal("topic-state-changed")
#: sender: the Topic. kwargs: conversation (the private case), actor.
case_escalated = _signals.signal("case-escalated")
#: sender: the Incident. kwargs: update (its first IncidentUpdate), actor.
incident_opened = _signals.signal("incident-opened")
#: sender: the Incident. kwargs: update (the new IncidentUpdate), actor.
incident_updated = _signals.signal("incident-updated")
#: sender: the Incident. kwargs: update (the resolving IncidentUpdate), actor.
incident_resolved = _signals.signal("incident-resolved")
#: sender: the Post. kwargs: flag (the new Flag), user (who flagged it).
post_flagged = _signals.signal("post-flagged")
