"""elx ledger: a signed, tamper-evident Merkle log (pure library, no Flask).

Specs: RFC 9162 §2.1 (Merkle tree, proofs), C2SP signed-note (Ed25519) and C2SP tlog-checkpoint.
Public API (fixed by docs/DESIGN.md "The ledger library")::

    from ledger.merkle import leaf_hash, node_hash, root_hash, inclusion_proof, consistency_proof
    from ledger.proof import verify_inclusion, verify_consistency
    from ledger.note import Signer, Verifier, sign_note, open_note
    from ledger.checkpoint import Checkpoint, sign_checkpoint, open_checkpoint
    from ledger import VerificationError
"""

from __future__ import annotations


class VerificationError(Exception):
    """A proof, signature, note or checkpoint failed verification (or was malformed)."""


# Re-exports come after VerificationError: ledger.proof/note/checkpoint import it from here.
from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint  # noqa: E402
from ledger.merkle import (  # noqa: E402
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
)
from ledger.note import cosign_note, open_note, sign_note  # noqa: E402
from ledger.note_keys import Signer, Verifier  # noqa: E402
from ledger.proof import verify_consistency, verify_inclusion  # noqa: E402

__all__ = [
    "Checkpoint",
    "Signer",
    "VerificationError",
    "Verifier",
    "consistency_proof",
    "cosign_note",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "verify_consistency",
    "verify_inclusion",
]
