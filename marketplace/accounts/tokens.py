"""Access tokens: short-lived JWTs (RFC 7519, HS256) with ``kid`` for key rotation.

``JWT_KEYS`` holds ``kid:secret`` pairs; the first key signs, every listed key verifies, so a
new key is rolled in first and the old one dropped after ``ACCESS_TOKEN_TTL``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from marketplace.errors import Unauthorized

ISSUER = "elx"
AUDIENCE = "elx-api"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class JwtKeys:
    signing_kid: str
    secrets_by_kid: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str) -> JwtKeys:
        pairs: list[tuple[str, bytes]] = []
        for item in spec.split(","):
            kid, sep, secret = item.strip().partition(":")
            if not sep or not kid or len(secret) < 32:
                raise ValueError("JWT_KEYS must be 'kid:secret' pairs with secrets >= 32 chars")
            pairs.append((kid, secret.encode()))
        if len({kid for kid, _ in pairs}) != len(pairs):
            raise ValueError("JWT_KEYS lists a kid twice")
        return cls(pairs[0][0], dict(pairs))

    @staticmethod
    def generate_spec() -> str:
        return f"k{secrets.token_hex(4)}:{secrets.token_urlsafe(48)}"


def issue_access_token(keys: JwtKeys, user_id: str, now: datetime, ttl: int) -> str:
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": user_id, "typ": "access",
        "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(12),
    }
    return jwt.encode(claims, keys.secrets_by_kid[keys.signing_kid], algorithm=ALGORITHM,
                      headers={"kid": keys.signing_kid})


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def decode_access_token(keys: JwtKeys, token: str, now: datetime) -> str:
    """Return the user id of a valid access token; any defect is a 401.

    Only HS256 with a listed ``kid`` is accepted (RFC 8725 §3.1: never let the token choose the
    algorithm); the time claims are checked here against the application's clock.
    """
    invalid = Unauthorized("The access token is not valid.")
    if len(token) > 4096:
        raise invalid
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str) \
                or kid not in keys.secrets_by_kid:
            raise invalid
        claims = jwt.decode(
            token, keys.secrets_by_kid[kid], algorithms=[ALGORITHM], audience=AUDIENCE,
            issuer=ISSUER, options={"require": ["exp", "iat", "sub", "typ"], "verify_exp": False,
                                    "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as exc:
        raise invalid from exc
    timestamp = now.timestamp()
    not_before = claims.get("nbf", claims["iat"])
    if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str) \
            or not _is_time(claims["exp"]) or not _is_time(not_before):
        raise invalid
    if claims["exp"] <= timestamp:
        raise Unauthorized("The access token has expired.")
    if not_before > timestamp + 60:
        raise Unauthorized("The access token is not valid yet.")
    return claims["sub"]
