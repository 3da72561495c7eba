"""URLs of the open-data pages (exports, feeds, search, statistics).

The root URLconf includes these before the debate pages, and debate slugs may
not take their names (Debate.RESERVED_SLUGS).
"""

from django.urls import URLPattern, path, register_converter
from django.views.decorators.http import require_safe

from debates.opendata import feeds, views
from debates.opendata.exports import NAMES

app_name = "opendata"


class ExportNameConverter:
    """The file name of an export: propositions.csv, … consultation.json."""

    regex = "|".join(name.replace(".", r"\.") for name in NAMES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportNameConverter, "opendata_export")

urlpatterns: list[URLPattern] = [
    path(
        "consultations/<slug:slug>/<opendata_export:name>",
        views.export,
        name="export",
    ),
    path("consultations/<slug:slug>/recherche/", views.search, name="search"),
    path("consultations/<slug:slug>/statistiques/", views.statistics, name="statistics"),
    path(
        "consultations/<slug:slug>/propositions.atom",
        require_safe(feeds.ConsultationProposalsFeed()),
        name="consultation_feed",
    ),
    path(
        "consultations/<slug:consultation>/<slug:slug>/propositions.atom",
        require_safe(feeds.DebateProposalsFeed()),
        name="debate_feed",
    ),
    path(
        "consultations/<slug:consultation>/<slug:debate>/<number:number>/arguments.atom",
        require_safe(feeds.ProposalArgumentsFeed()),
        name="proposal_feed",
    ),
]
