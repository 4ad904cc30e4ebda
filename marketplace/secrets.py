"""Development secrets: generated once into VAR_DIR when not configured (never in production
images — there, set ``ELX_SECRET_KEY`` and ``ELX_JWT_KEYS``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from marketplace.accounts.tokens import JwtKeys


def _read_or_create(path: Path, make: str) -> str:
    if path.exists():
        return path.read_text().strip()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(make)
    return make


def ensure_local_secrets(config: dict[str, Any], var_dir: Path) -> None:
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _read_or_create(var_dir / "secret-key", secrets.token_urlsafe(48))
    if not config.get("JWT_KEYS"):
        config["JWT_KEYS"] = _read_or_create(var_dir / "jwt-keys", JwtKeys.generate_spec())
    config["JWT_KEYSET"] = JwtKeys.parse(config["JWT_KEYS"])
