"""Addresses of answers and results; included before the debate pages (their names are
reserved: Debate.RESERVED_SLUGS)."""

from django.urls import URLPattern, path
from django.views.decorators.http import require_safe

from answers import feeds, views

urlpatterns: list[URLPattern] = [
    path("consultations/<slug:slug>/synthese/", views.results_page, name="results"),
    path("consultations/<slug:slug>/synthese/modifier/", views.results_edit, name="results_edit"),
    path("consultations/<slug:slug>/synthese.json", views.synthesis_json, name="results_json"),
    path("consultations/<slug:slug>/reponses.csv", views.answers_csv, name="answers_csv"),
    path(
        "consultations/<slug:slug>/reponses.atom",
        require_safe(feeds.ConsultationAnswersFeed()),
        name="answers_feed",
    ),
    path(
        "consultations/<slug:consultation>/<slug:debate>/<number:number>/reponse/",
        views.answer_edit,
        name="answer_edit",
    ),
]
