"""Secrets at rest in the database, sealed under a key-encryption key (KEK).

`seal` turns a secret (the LTI tool's private key PEM) into `fernet:v1:<token>`: Fernet
(AES-128-CBC with HMAC-SHA256, `cryptography`) under the KEK, which is
`Settings.sealing_key()` (PATHWAYS_KEY_ENCRYPTION_KEY, else a file in the data
directory) and never stored in the database. A dump or backup of the database alone
then holds no usable private key.

`unseal` reverses it. A value written before sealing existed (a plain PEM, starting
with `-----BEGIN`) is returned as it is: the caller re-seals such rows in place
(`lti_keys` does, in its next write transaction). A data migration cannot do this,
because migrations do not see the KEK.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

SEALED_PREFIX = "fernet:v1:"
LEGACY_PREFIX = "-----BEGIN"  # a plain PEM, stored before values were sealed


class UnsealError(ValueError):
    """The stored value cannot be opened with this KEK (another key, or not a known format)."""


def fernet_of(kek: str) -> Fernet:
    """Fernet for a KEK: 32 url-safe base64-encoded bytes (`Fernet.generate_key()`).

    Raises ValueError for anything else; the message says what a KEK looks like."""
    try:
        return Fernet(kek.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError(
            "not a Fernet key (32 url-safe base64-encoded bytes, 44 characters; make one "
            "with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from None


def generate_kek() -> str:
    return Fernet.generate_key().decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def is_legacy(stored: str) -> bool:
    """A plain value from before sealing: readable without the KEK, to be sealed."""
    return stored.startswith(LEGACY_PREFIX)


def seal(text: str, kek: str) -> str:
    """`text` encrypted under `kek`, marked with its format (`fernet:v1:`)."""
    return SEALED_PREFIX + fernet_of(kek).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(stored: str, kek: str) -> str:
    """The text `seal` was given; a legacy plain PEM comes back unchanged.

    Raises UnsealError when `stored` was sealed under another KEK (or was altered), or
    is neither sealed nor a PEM."""
    if is_legacy(stored):
        return stored
    if not is_sealed(stored):
        raise UnsealError("the stored value is neither sealed (fernet:v1:) nor a PEM")
    try:
        plain = fernet_of(kek).decrypt(stored[len(SEALED_PREFIX) :].encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        raise UnsealError(
            "the stored value was sealed under another key-encryption key (or altered)"
        ) from None
    return plain.decode("utf-8")
