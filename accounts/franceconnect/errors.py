"""What went wrong in a FranceConnect sign-in, and what the citizen is told (French and English)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

#: code -> (HTTP status, title, explanation). `%(provider)s` is the deployment's name.
MESSAGES = {
    "cancelled": (
        200,
        _("Connexion avec %(provider)s annulée"),
        _(
            "Vous avez annulé la connexion avec %(provider)s. Aucun compte n'a été créé "
            "ni modifié. Vous pouvez réessayer, ou vous connecter avec votre adresse "
            "électronique et votre mot de passe."
        ),
    ),
    "provider_error": (
        400,
        _("%(provider)s n'a pas pu vous identifier"),
        _(
            "%(provider)s a répondu par une erreur (« %(code)s »). Aucun compte n'a été "
            "créé ni modifié. Réessayez dans quelques instants ; si l'erreur persiste, "
            "connectez-vous avec votre adresse électronique et votre mot de passe."
        ),
    ),
    "state": (
        400,
        _("Cette réponse de %(provider)s n'est plus valable"),
        _(
            "Cette réponse de %(provider)s a déjà servi, a expiré, ou ne correspond à "
            "aucune connexion commencée dans ce navigateur. Par sécurité, elle est "
            "refusée. Recommencez la connexion."
        ),
    ),
    "nonce": (
        401,
        _("Connexion refusée par sécurité"),
        _(
            "La réponse de %(provider)s ne correspond pas à la demande de connexion "
            "partie de ce navigateur (nonce invalide). Par sécurité, la connexion est "
            "refusée. Recommencez la connexion."
        ),
    ),
    "signature": (
        401,
        _("Connexion refusée par sécurité"),
        _(
            "La signature de la réponse de %(provider)s n'a pas pu être vérifiée. Par "
            "sécurité, la connexion est refusée et rien n'a été enregistré."
        ),
    ),
    "claims": (
        401,
        _("Connexion refusée par sécurité"),
        _(
            "La réponse de %(provider)s n'est pas valable (émetteur, destinataire ou date "
            "d'expiration incorrects). Par sécurité, la connexion est refusée et rien "
            "n'a été enregistré."
        ),
    ),
    "acr": (
        403,
        _("Niveau de garantie insuffisant"),
        _(
            "Ce service demande un niveau de garantie de l'identité « %(required)s » ; "
            "%(provider)s a fourni le niveau « %(given)s ». La connexion est refusée : "
            "choisissez chez %(provider)s un moyen d'identification de niveau suffisant."
        ),
    ),
    "unavailable": (
        502,
        _("%(provider)s ne répond pas"),
        _(
            "%(provider)s n'a pas répondu correctement. Aucun compte n'a été créé ni "
            "modifié. Réessayez dans quelques instants."
        ),
    ),
}


class FranceConnectError(Exception):
    """A sign-in refused: its `code` names the message in MESSAGES."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
