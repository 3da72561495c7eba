"""What the proposal page shows of its answer (imported by debates.views)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from answers.models import Answer
from debates.models import Proposal
from debates.rules import may_answer


def answer_of(proposal: Proposal) -> Answer | None:
    """Return the proposal's answer, preloaded by select_related("answer") or read now."""
    try:
        return proposal.answer  # type: ignore[attr-defined, no-any-return]
    except Answer.DoesNotExist:
        return None


def proposal_context(request: HttpRequest, proposal: Proposal) -> dict[str, Any]:
    """Return what the proposal page shows of its answer: the public one, or a preview.

    Costs no query for a reader (the answer comes with the proposal) and one
    for a signed-in reader (whether they organise the consultation).
    """
    answer = answer_of(proposal)
    consultation = proposal.debate.consultation
    answering = bool(request.user.is_authenticated and may_answer(request.user, consultation))
    if answer is not None and not answer.is_published and not answering:
        answer = None
    return {"answer": answer, "may_answer": answering}
