"""URLs of the open-data pages (exports, feeds, search, statistics)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
