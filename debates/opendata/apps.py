from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    name = "debates.opendata"
    label = "opendata"
    verbose_name = _("Données ouvertes")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from debates.models import ModerationEvent

        # The open data follows the moderation log rather than being called by
        # `debates.moderation`: every hide and unhide writes one line of it,
        # whichever path (admin action, bulk hiding, import) did it.
        post_save.connect(
            refreeze_after_moderation, sender=ModerationEvent, dispatch_uid="opendata-refreeze"
        )


def refreeze_after_moderation(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Have the frozen exports of a closed consultation redone once the moderation is committed."""
    from django.db import transaction

    from debates.models import ModerationAction
    from debates.opendata.tasks import refreeze_exports

    if not created or instance.action not in (ModerationAction.HIDE, ModerationAction.UNHIDE):
        return
    consultation = instance.consultation
    if not consultation.is_closed:
        return  # while open, exports are live: nothing to redo
    # Enqueued after the commit (a rolled-back hiding must not reach the
    # files, and the worker must see the hiding), robust: a failure must not
    # turn a committed hiding into an error page; the next hide or unhide
    # redoes whatever is not yet covered.
    pk = consultation.pk
    transaction.on_commit(lambda: refreeze_exports.enqueue(pk), robust=True)
