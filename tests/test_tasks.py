"""The task queue: Django's Tasks API with the database backend by default."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from consultation.tasks import TaskResultStatus, task_backends
from tests.tasks_for_tests import add


def test_the_default_backend_keeps_tasks_in_the_database() -> None:
    from django.conf import settings

    with override_settings(TASKS={"default": {"BACKEND": settings.TASKS_BACKEND}}):
        assert type(task_backends["default"]).__name__ == "DatabaseBackend"


def test_tasks_run_at_once_in_ordinary_tests() -> None:
    result = add.enqueue(2, 3)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.database_tasks
def test_a_database_worker_runs_what_was_enqueued() -> None:
    result = add.enqueue(20, 22)
    assert result.status == TaskResultStatus.READY  # nothing ran inside the request
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 42
