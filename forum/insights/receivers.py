"""Signal receivers, connected once at import: a topic whose case state or answer
changed gets its facts refreshed after the commit (the rollup job does the rest)."""

from forum import signals
from forum.insights import rollups


@signals.topic_answer_changed.connect
def _topic_answer_changed(topic, **kwargs) -> None:
    if topic.state is not None and topic.id is not None:
        rollups.refresh_after_commit(topic.id)
