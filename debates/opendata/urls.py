"""URLs of the open-data pages (exports, feeds, search, statistics).

Search and statistics answer without a trailing slash: /consultations/<slug>/recherche/
would be taken by the debate page, whose pattern comes first and which a
debate called « recherche » may rightly claim.
"""

from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.urls import URLPattern, path, register_converter
from django.views.decorators.http import require_safe

from debates.opendata import feeds, views
from debates.opendata.exports import NAMES
from debates.opendata.templatetags import opendata as opendata_tags

app_name = "opendata"


class ExportNameConverter:
    """The file name of an export: propositions.csv, … consultation.json."""

    regex = "|".join(name.replace(".", r"\.") for name in NAMES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportNameConverter, "opendata_export")

# The hook templates `{% load opendata %}`. Django finds tag libraries only in
# installed apps; until "debates.opendata" is in INSTALLED_APPS, register ours
# here (this module is imported with the root URLconf, before any page renders).
for engine in engines.all():
    if isinstance(engine, DjangoTemplates):
        engine.engine.template_libraries.setdefault("opendata", opendata_tags.register)

urlpatterns: list[URLPattern] = [
    path(
        "consultations/<slug:slug>/<opendata_export:name>",
        views.export,
        name="export",
    ),
    path("consultations/<slug:slug>/recherche", views.search, name="search"),
    path("consultations/<slug:slug>/statistiques", views.statistics, name="statistics"),
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
