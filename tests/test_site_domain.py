"""The configured SITE_DOMAIN and SITE_NAME win over the Site row the first migrate wrote."""

from __future__ import annotations

import re

import pytest
from django.contrib.sites.models import Site
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from debates.models import Consultation
from tests.conftest import PASSWORD


@pytest.fixture
def stale_site(db: None) -> Site:
    """The row as a first `migrate` left it, before the operator set the real domain."""
    row = Site.objects.get(pk=1)
    row.domain, row.name = "127.0.0.1:8000", "Ancien nom"
    row.save()
    return row


@override_settings(SITE_DOMAIN="consultation.example.org", SITE_NAME="Parlons-en")
def test_feeds_link_to_the_configured_domain(
    stale_site: Site, open_consultation: Consultation, client: Client
) -> None:
    feed = client.get(f"/consultations/{open_consultation.slug}/propositions.atom")
    assert feed.status_code == 200
    links = re.findall(r'href="([^"]+)"', feed.content.decode())
    assert links and all(link.startswith("http://consultation.example.org/") for link in links)
    assert "127.0.0.1:8000" not in feed.content.decode()


@override_settings(SITE_DOMAIN="consultation.example.org", SITE_NAME="Parlons-en")
def test_account_emails_name_the_configured_site(
    stale_site: Site, client: Client, mailoutbox: list[EmailMessage]
) -> None:
    client.post(
        reverse("account_signup"),
        {
            "email": "chloe@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Chloé",
        },
    )
    (message,) = mailoutbox
    assert "Parlons-en" in message.subject + message.body
    assert "Ancien nom" not in message.subject + message.body


@pytest.mark.django_db(transaction=True)
def test_migrate_writes_the_configured_site_into_the_row(stale_site: Site) -> None:
    with override_settings(SITE_DOMAIN="consultation.example.org", SITE_NAME="Parlons-en"):
        call_command("migrate", verbosity=0)
        row = Site.objects.get(pk=1)
        assert (row.domain, row.name) == ("consultation.example.org", "Parlons-en")


@override_settings(SITE_DOMAIN="consultation.example.org", SITE_NAME="Parlons-en")
def test_editing_the_row_does_not_override_the_configuration(stale_site: Site) -> None:
    stale_site.domain = "autre.example.org"
    stale_site.save()
    assert Site.objects.get_current().domain == "consultation.example.org"
