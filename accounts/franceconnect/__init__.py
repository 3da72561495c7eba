"""FranceConnect, FranceConnect+ and ProConnect: OpenID Connect as the State's federation does it.

Built on allauth's OpenID Connect provider; what it adds is what FranceConnect
v2 requires of a client: a nonce and `acr_values` sent and checked, ID tokens
and signed `/userinfo` answers verified against the provider's keys, RP-initiated
logout, and a civil identity kept private (docs/franceconnect.md).
"""
