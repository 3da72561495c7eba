"""Template tags of the open-data hooks: the export files of a consultation and their checksums."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from debates.models import Consultation, HideReason
from debates.opendata.exports import (
    JSON_NAME,
    ExportFile,
    Refreeze,
    current_generation,
    export_files,
    frozen_checksum,
    refreezes,
)

register = template.Library()

LABELS: dict[str, Promise] = {
    "propositions.csv": _("Propositions"),
    "arguments.csv": _("Arguments"),
    "sources.csv": _("Sources"),
    "votes.csv": _("Votes (totaux par proposition)"),
    JSON_NAME: _("Consultation complète (format d'échange JSON)"),
}


@dataclass(frozen=True)
class Download:
    """One export file as the consultation page lists it."""

    label: Promise
    url: str
    export: ExportFile
    sha256: str | None  # None while live, or until the first download after the close

    @property
    def is_json(self) -> bool:
        return self.export.name == JSON_NAME


@register.simple_tag
def opendata_downloads(consultation: Consultation) -> list[Download]:
    """Return the export files of `consultation`; once it is closed, with their checksums.

    No database query: checksums are read from the files stored at the first download.
    """
    closed = consultation.is_closed
    generation = current_generation(consultation) if closed else None
    downloads = []
    for export in export_files():
        url = reverse("opendata:export", kwargs={"slug": consultation.slug, "name": export.name})
        downloads.append(
            Download(
                label=LABELS[export.name],
                url=f"{url}?format=utf8" if export.utf8 else url,
                export=export,
                sha256=frozen_checksum(consultation, export, generation) if closed else None,
            )
        )
    return downloads


@dataclass(frozen=True)
class Redone:
    """One redoing of the frozen files as the consultation page tells it."""

    refreeze: Refreeze
    changes: list[tuple[str, int, str]]  # (action, number, public reason label)
    previous: list[tuple[Promise, str, str | None]]  # (label, variant, previous checksum)


@register.simple_tag
def opendata_refreezes(consultation: Consultation) -> list[Redone]:
    """Return the redoings of the frozen files of `consultation`, newest first (no query).

    Only public facts: the number of each contribution hidden or restored and
    the public reason of the hiding, never its text.
    """
    if not consultation.is_closed:
        return []
    reasons = dict(HideReason.choices)
    result = []
    for refreeze in reversed(refreezes(consultation)):
        changes = [
            (c.action, c.number, str(reasons.get(c.reason, c.reason))) for c in refreeze.changes
        ]
        previous = [
            (LABELS[e.name], _variant(e), refreeze.previous.get(e.stored_name))
            for e in export_files()
        ]
        result.append(Redone(refreeze, changes, previous))
    return result


def _variant(export: ExportFile) -> str:
    if export.name == JSON_NAME:
        return str(_("JSON, UTF-8"))
    if export.utf8:
        return str(_("CSV pour les programmes (virgules, UTF-8)"))
    return str(_("CSV pour les tableurs (points-virgules, UTF-8 avec BOM)"))
