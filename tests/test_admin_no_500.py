"""No admin URL answers a server error, whoever asks.

Walks every admin registered on the site (ours and the third-party ones:
groups, allauth, sites…), and for each persona asks its changelist, add
page, and for sample objects (plus malformed and unknown ids) its change,
history, delete and, where it keeps a history, version pages. The history
page of a moderation event answered 500 before (its model has no history).
"""

# The fixtures `world` (and `targets`) are imported from their test modules, so each
# test naming them as arguments « redefines » the import for pyflakes.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import NoReverseMatch, reverse

from debates import moderation
from debates.models import Consultation, ModerationEvent
from tests.test_admin_history import PERSONAS, Targets, targets  # noqa: F401 (fixtures)
from tests.test_moderation_admin import World, signed_in, world  # noqa: F401 (fixtures)

BAD_IDS = ("999999", "abc")


@pytest.fixture(autouse=True)
def _without_2fa(settings: Any) -> None:
    settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def closed_world(world: World, targets: Targets) -> World:
    """The world with consultation A closed through reschedule (a calendar change)."""
    moderation.close_now(consultation=world.a.consultation, by=None)
    return world


def samples(model: type[Model]) -> list[Model]:
    """Return the last row of `model`: one of consultation B's, outside organiser A's scope."""
    last = model._default_manager.order_by("pk").last()
    return [last] if last is not None else []


def urls_of(model_admin: admin.ModelAdmin[Any]) -> list[str]:
    opts = model_admin.model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    urls = [reverse(f"{name}_changelist"), reverse(f"{name}_add")]
    ids = [str(row.pk) for row in samples(model_admin.model)] + list(BAD_IDS)
    for object_id in ids:
        for view in ("change", "history", "delete"):
            try:
                urls.append(reverse(f"{name}_{view}", args=[object_id]))
            except NoReverseMatch:
                continue
    history = getattr(model_admin.model, "history", None)
    if history is not None and hasattr(history, "model"):
        for row in samples(model_admin.model):
            for version in history.model.objects.filter(pk=row.pk).order_by("history_id")[:1]:
                urls.append(reverse(f"{name}_simple_history", args=[row.pk, version.history_id]))
            urls.append(reverse(f"{name}_simple_history", args=[row.pk, "abc"]))
    return urls


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_admin_url_answers_a_server_error(
    closed_world: World, client: Client, persona: str
) -> None:
    assert Consultation.objects.filter(slug="conso-a").get().is_closed
    client.raise_request_exception = False
    signed_in(client, closed_world, persona)
    errors, asked = [], 0
    for model_admin in admin.site._registry.values():
        for url in urls_of(model_admin):
            asked += 1
            status = client.get(url).status_code
            if status >= 500:
                errors.append((status, url))
    assert asked > 100  # the walk reached every admin, not a handful
    assert errors == []


def test_the_history_page_of_a_moderation_event_opens(closed_world: World, client: Client) -> None:
    event = ModerationEvent.objects.filter(consultation=closed_world.b.consultation)
    url = f"/admin/debates/moderationevent/{event.earliest('at').pk}/history/"
    for persona, expected in (("moderator", 200), ("organiser_b", 200), ("organiser_a", 404)):
        signed_in(client, closed_world, persona)
        assert client.get(url).status_code == expected, persona


def test_every_admin_of_a_model_with_history_is_scoped(db: None) -> None:
    # The guard for the next admin someone adds: history pages only through the mixin.
    from debates.admin_scope import ScopedAdminMixin

    for model, model_admin in admin.site._registry.items():
        if hasattr(model, "history") and model._meta.app_label == "debates":
            assert isinstance(model_admin, ScopedAdminMixin), model
