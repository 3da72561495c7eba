"""Pages are answered gzip-compressed to clients that accept it."""

from __future__ import annotations

import gzip
import re

from django.test import Client

from accounts.models import User
from debates.models import Consultation
from tests.conftest import proposal_of


def unmasked(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a_proposal_page_is_gzipped_when_the_client_accepts_it(
    open_consultation: Consultation, client: Client
) -> None:
    url = proposal_of(open_consultation).get_page_url()
    plain = client.get(url)
    packed = client.get(url, headers={"accept-encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert unmasked(html) == unmasked(plain.content.decode())
    assert len(packed.content) < len(plain.content) / 2


def test_a_signed_in_page_with_forms_is_gzipped_with_a_fresh_csrf_mask(
    open_consultation: Consultation, client: Client, alice: User
) -> None:
    client.force_login(alice)
    url = proposal_of(open_consultation).get_page_url()
    pages = [
        gzip.decompress(client.get(url, headers={"accept-encoding": "gzip"}).content).decode()
        for _ in range(2)
    ]
    tokens = [page.split('name="csrfmiddlewaretoken" value="', 1)[1][:64] for page in pages]
    # The token is masked anew in each response: a compressed length reveals nothing stable.
    assert tokens[0] != tokens[1]


def test_a_text_is_rendered_once_then_served_from_the_per_text_memo(
    open_consultation: Consultation, client: Client
) -> None:
    from debates import actions
    from debates.templatetags.debates import body, rendered_body

    proposal = proposal_of(open_consultation)
    text = "Voir https://example.org/ <b>gras</b> & fin."
    actions.post_argument(proposal=proposal, author=proposal.author, stance="for", body=text)
    html = body(text)
    assert html == (
        '<p>Voir <a href="https://example.org/" rel="nofollow">https://example.org/</a> '
        "&lt;b&gt;gras&lt;/b&gt; &amp; fin.</p>"
    )
    before = rendered_body.cache_info().hits
    for _ in range(2):
        page = client.get(proposal.get_page_url()).content.decode()
        assert html in page
    assert rendered_body.cache_info().hits >= before + 2
    assert body(text + " modifié") != html  # an edited text is another entry
