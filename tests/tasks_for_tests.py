"""Tasks defined for the tests of the task queue itself (module level, as the
Tasks API requires)."""

from __future__ import annotations

from consultation.tasks import task


@task(queue_name="default")
def add(a: int, b: int) -> int:
    return a + b
