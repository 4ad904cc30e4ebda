"""Ed25519 log keys from configuration: PEM files, environment variables, dev key creation.

Private keys are PKCS #8 PEM (RFC 8410 §7, "BEGIN PRIVATE KEY"), unencrypted, readable by the
service account only. An environment variable may hold the PEM text itself or its base64
(convenient for container secrets). Verifier keys use the C2SP signed-note vkey form
``<name>+<hex key ID>+base64(0x01 ‖ public key)`` (see :mod:`ledger.note_keys`).

Rotation: a new signer key becomes *current* and the old one is published as *retired*;
verifiers accept every published key, so checkpoints signed before the rotation keep verifying.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.note_keys import Signer, Verifier

__all__ = [
    "load_or_create_signer",
    "load_signer",
    "signer_from_pem",
    "signer_to_pem",
    "verifiers_from_vkeys",
    "write_new_signer",
]


def signer_to_pem(signer: Signer) -> bytes:
    """The unencrypted PKCS #8 PEM of ``signer``'s private key (a secret)."""
    return signer.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def signer_from_pem(name: str, pem: bytes | str) -> Signer:
    """A signer named ``name`` from PEM bytes/text, or their base64; ValueError if unusable."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    data = data.strip()
    if not data.startswith(b"-----BEGIN"):
        try:
            data = base64.b64decode(data, validate=True).strip()
        except (binascii.Error, ValueError) as exc:
            raise ValueError("key is neither PEM nor base64-encoded PEM") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot load PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"log keys must be Ed25519, got {type(key).__name__}")
    return Signer(name, key)


def load_signer(
    name: str,
    *,
    path: str | os.PathLike[str] | None = None,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Signer:
    """Load the signer from environment variable ``env`` if set, else from PEM file ``path``."""
    environ = os.environ if environ is None else environ
    if env is not None and environ.get(env):
        return signer_from_pem(name, environ[env])
    if path is None:
        raise ValueError(f"no signing key: set {env or 'a key variable'} or a key file path")
    return signer_from_pem(name, Path(path).read_bytes())


def write_new_signer(path: str | os.PathLike[str], name: str) -> Signer:
    """Generate a key and write it to a new 0600 file; FileExistsError if ``path`` exists.

    The PEM is written to a private temporary file first and then hard-linked into place, so a
    concurrent reader never sees a half-written key and two creators cannot both win.
    """
    signer = Signer(name, Ed25519PrivateKey.generate())
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(signer_to_pem(signer))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return signer


def load_or_create_signer(path: str | os.PathLike[str], name: str) -> Signer:
    """For development: load ``path``, creating a fresh 0600 key there on first use."""
    try:
        return write_new_signer(path, name)
    except FileExistsError:
        return signer_from_pem(name, Path(path).read_bytes())


def verifiers_from_vkeys(vkeys: Iterable[str]) -> list[Verifier]:
    """Parse signed-note verifier keys; ValueError names the first malformed one."""
    return [Verifier.from_vkey(v) for v in vkeys]
