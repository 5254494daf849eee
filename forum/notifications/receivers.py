"""Signal receivers and the email delivery hook, connected once at import."""

from forum import signals
from forum.notifications import emails, services
from forum.notify import delivery_hooks


@signals.post_created.connect
def _post_created(post, **kwargs) -> None:
    services.on_post_created(post)


if emails.deliver_immediately not in delivery_hooks:
    delivery_hooks.append(emails.deliver_immediately)
