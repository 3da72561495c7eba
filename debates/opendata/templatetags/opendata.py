"""Template tags of the open-data hooks: the export files of a consultation and their checksums."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from debates.models import Consultation
from debates.opendata.exports import JSON_NAME, ExportFile, export_files, frozen_checksum

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
    downloads = []
    for export in export_files():
        url = reverse("opendata:export", kwargs={"slug": consultation.slug, "name": export.name})
        downloads.append(
            Download(
                label=LABELS[export.name],
                url=f"{url}?format=utf8" if export.utf8 else url,
                export=export,
                sha256=frozen_checksum(consultation, export) if closed else None,
            )
        )
    return downloads
