"""Identity services, one import point for views and other packages.

Each function authorises first and commits once at the end; the work lives in
:mod:`~marketplace.accounts.users`, :mod:`~marketplace.accounts.sessions`,
:mod:`~marketplace.accounts.organizations` and :mod:`~marketplace.accounts.api_keys`.
"""

from __future__ import annotations

from marketplace.accounts.api_keys import create as create_api_key
from marketplace.accounts.api_keys import list_keys as list_api_keys
from marketplace.accounts.api_keys import revoke as revoke_api_key
from marketplace.accounts.common import principal_for
from marketplace.accounts.organizations import (
    add_member,
    approve_organization,
    bootstrap_operator,
    create_organization,
    get_organization,
)
from marketplace.accounts.sessions import (
    REFRESH_PREFIX,
    TokenPair,
    authenticate,
    login,
    logout,
    refresh,
)
from marketplace.accounts.users import me, register_user

_principal_for = principal_for  # kept for callers written against the first version

__all__ = [
    "REFRESH_PREFIX", "TokenPair", "add_member", "approve_organization", "authenticate",
    "bootstrap_operator", "create_api_key", "create_organization", "get_organization",
    "list_api_keys", "login", "logout", "me", "principal_for", "refresh", "register_user",
    "revoke_api_key",
]
