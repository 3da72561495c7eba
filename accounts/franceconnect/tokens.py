"""Signed tokens from the provider: ID tokens and `/userinfo` answers (JWS), checked with PyJWT.

The provider's keys (its JWKS) are kept in the cache; a token signed with a key
id we do not know, or whose signature does not verify against the cached keys,
makes us fetch the keys once more (the provider may have rotated them) before
it is refused.
"""

from __future__ import annotations

import hmac
from typing import Any

import jwt
import requests
from allauth.socialaccount.adapter import get_adapter
from django.core.cache import cache

from accounts.franceconnect.errors import FranceConnectError

KEYS_TTL = 3600  # seconds: keys change rarely, and an unknown kid refreshes them anyway
LEEWAY = 60  # seconds of clock difference tolerated on exp / iat
#: The assurance levels of FranceConnect and FranceConnect+, weakest first.
EIDAS_LEVELS = ("eidas1", "eidas2", "eidas3")


def _keys_cache_key(jwks_uri: str) -> str:
    return f"franceconnect:jwks:{jwks_uri}"


def fetch_keys(jwks_uri: str, *, refresh: bool = False) -> list[jwt.PyJWK]:
    """Return the provider's public keys, from the cache unless `refresh`."""
    data = None if refresh else cache.get(_keys_cache_key(jwks_uri))
    if data is None:
        try:
            with get_adapter().get_requests_session() as session:
                response = session.get(jwks_uri)
                response.raise_for_status()
                data = response.json()
        except (requests.RequestException, ValueError) as error:
            raise FranceConnectError("unavailable") from error
        cache.set(_keys_cache_key(jwks_uri), data, KEYS_TTL)
    try:
        return jwt.PyJWKSet.from_dict(data).keys
    except jwt.PyJWTError:
        return []  # no usable key (an empty or foreign set): none verifies anything


def _key_for(keys: list[jwt.PyJWK], kid: str | None) -> jwt.PyJWK | None:
    for key in keys:
        if key.key_id == kid:
            return key
    return None


def decode(
    token: str,
    *,
    jwks_uri: str,
    issuer: str,
    audience: str,
    algorithms: list[str],
    require: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Verify a JWS from the provider (signature, iss, aud, exp) and return its claims.

    Only the asymmetric algorithms configured are accepted (ES256 and RS256 by
    default): never `none`, never an HMAC that a public key could be mistaken for.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise FranceConnectError("signature") from error
    if header.get("alg") not in algorithms:
        raise FranceConnectError("signature")
    for refresh in (False, True):
        key = _key_for(fetch_keys(jwks_uri, refresh=refresh), header.get("kid"))
        if key is None:
            continue
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=[header["alg"]],
                issuer=issuer,
                audience=audience,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", *require]},
            )
        except jwt.InvalidSignatureError:
            continue  # maybe rotated keys: fetch them again, once
        except jwt.PyJWTError as error:
            raise FranceConnectError("claims") from error
    raise FranceConnectError("signature")


def check_nonce(claims: dict[str, Any], expected: str | None) -> None:
    """The ID token must carry the nonce sent with this very sign-in request."""
    nonce = claims.get("nonce")
    if not expected or not isinstance(nonce, str) or not hmac.compare_digest(nonce, expected):
        raise FranceConnectError("nonce")


def acr_satisfies(acr: str | None, requested: list[str]) -> bool:
    """Return whether the level reached is at least one of the levels requested.

    On the eIDAS ladder a higher level satisfies a lower request; other
    vocabularies (ProConnect's) must match one requested value exactly.
    """
    if not requested:
        return True
    if not acr:
        return False
    if acr in requested:
        return True
    eidas = [EIDAS_LEVELS.index(level) for level in requested if level in EIDAS_LEVELS]
    return acr in EIDAS_LEVELS and bool(eidas) and EIDAS_LEVELS.index(acr) >= min(eidas)
