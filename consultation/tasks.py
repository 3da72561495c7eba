"""The one import of the Tasks API.

Django 6 ships the Tasks API as `django.tasks`; on Django 5.2 the
`django-tasks` backport provides the same names. Modules that define or
enqueue tasks import `task` (and friends) from here, so moving to Django 6
changes this file only.
"""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("django.tasks"):  # Django 6
    from django.tasks import TaskResultStatus, default_task_backend, task, task_backends
else:  # Django 5.2 with the backport
    from django_tasks import (  # type: ignore[assignment]
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )

__all__ = ["TaskResultStatus", "default_task_backend", "task", "task_backends"]
