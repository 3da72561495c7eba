"""What pages show of following (imported by debates.views)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from debates.models import Consultation, Debate, Proposal
from followups import actions
from followups.models import Follow


def follow_state(request: HttpRequest, target: actions.Target) -> dict[str, Any]:
    """Return what the follow button needs: one query for a signed-in reader, none otherwise."""
    kind = {Proposal: "proposition", Debate: "debat", Consultation: "consultation"}[type(target)]
    following = False
    if request.user.is_authenticated:
        following = Follow.objects.filter(
            user=request.user, stopped_at__isnull=True, **{actions.target_field(target): target}
        ).exists()
    return {"follow": {"kind": kind, "pk": target.pk, "following": following}}
