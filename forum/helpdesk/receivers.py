"""Signal receivers, connected once at import."""

from forum import signals
from forum.helpdesk import assignment, cases, services


@signals.post_created.connect
def _post_created(post, **kwargs) -> None:
    services.on_post_created(post)
    assignment.on_post_created(post)


@signals.post_hidden.connect
def _post_hidden(post, actor=None, reason=None, **kwargs) -> None:
    services.on_answer_hidden(post, actor=actor, reason=reason)


@signals.topic_created.connect
def _topic_created(topic, **kwargs) -> None:
    cases.on_topic_created(topic)
