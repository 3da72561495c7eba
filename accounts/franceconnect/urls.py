"""Mounted by allauth under /comptes/ (it includes every provider's urls module)."""

from django.urls import path

from accounts.franceconnect import views
from accounts.franceconnect.conf import PROVIDER

urlpatterns = [
    path("franceconnect/<str:provider_id>/login/", views.login, name=f"{PROVIDER}_login"),
    path(
        "franceconnect/<str:provider_id>/login/callback/",
        views.callback,
        name=f"{PROVIDER}_callback",
    ),
    path(
        "franceconnect/<str:provider_id>/logout/callback/",
        views.logout_callback,
        name=f"{PROVIDER}_logout_callback",
    ),
]
