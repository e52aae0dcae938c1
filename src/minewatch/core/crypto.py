"""Encryption at rest of personal data (Ley 29733): Fernet tokens and keyed look-up hashes.

The keys live outside the database, in the data directory beside the secret and signing
keys, and ``minewatch backup`` treats them like those (``--keys include|exclude|separate``):

* ``<data dir>/fernet.key``: one Fernet key per line. The first encrypts; every line
  decrypts (``MultiFernet``), so a key is rotated by putting a new one on top
  (``minewatch keys rotate``) and re-encrypting at leisure (``minewatch keys reencrypt``).
* ``<data dir>/hmac.key``: the HMAC-SHA256 key of the look-up hashes (a DNI typed at a
  gate is found by its hash, never by decrypting every row). It is a separate key so that
  whoever can compute look-ups cannot decrypt.

A missing or malformed key raises :class:`EncryptionKeyError` (a ``ConfigError``) naming
the file: nothing is ever stored in plain text for want of a key. The keys are created
only by ``minewatch migrate`` (the migration that encrypts existing rows) or ``minewatch
keys create``.

The model fields are in :mod:`minewatch.core.encrypted_fields`.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from minewatch.core.config import ConfigError

FERNET_KEY_FILE = "fernet.key"
HMAC_KEY_FILE = "hmac.key"


class EncryptionKeyError(ConfigError):
    """A personal-data key is missing, malformed, or not the one the data was encrypted with."""


@dataclass(frozen=True)
class Keys:
    fernet: MultiFernet
    hmac_key: bytes
    fernet_count: int


_cache: dict[tuple, Keys] = {}
# (folder, keys) pinned for the current operation by keys_held().
_held: contextvars.ContextVar[tuple[str, Keys] | None] = contextvars.ContextVar(
    "minewatch_keys_held", default=None
)
_raw = contextvars.ContextVar("minewatch_crypto_raw", default=False)


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def _missing(path: Path) -> EncryptionKeyError:
    return EncryptionKeyError(
        f"{path} is missing: MineWatch cannot read or store personal data without it. "
        "Restore it from the keys backup (minewatch restore ... --keys-from KEYS.tar.gz), or, "
        "on a new installation with no personal data yet, run 'minewatch keys create'."
    )


def _read(directory: Path) -> Keys:
    fernet_path, hmac_path = directory / FERNET_KEY_FILE, directory / HMAC_KEY_FILE
    for path in (fernet_path, hmac_path):
        if not path.is_file():
            raise _missing(path)
    lines = [line.strip() for line in fernet_path.read_text().splitlines() if line.strip()]
    if not lines:
        raise EncryptionKeyError(f"{fernet_path} holds no key")
    try:
        fernets = [Fernet(line.encode()) for line in lines]
    except ValueError:
        raise EncryptionKeyError(
            f"{fernet_path}: every line must be a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None
    try:
        hmac_key = base64.urlsafe_b64decode(hmac_path.read_text().strip().encode())
    except ValueError:
        hmac_key = b""
    if len(hmac_key) < 32:
        raise EncryptionKeyError(f"{hmac_path}: expected 32 or more url-safe base64-encoded bytes")
    return Keys(MultiFernet(fernets), hmac_key, len(fernets))


def keys(directory: Path | str | None = None) -> Keys:
    """The data directory's keys, read once per file change.

    Every call stats both files (so a rotation by another process is seen at once), with
    ``os.stat`` on plain strings: this runs for every encrypted value read or written, and
    pathlib's path building cost more than the stat itself (a batch of access events
    decrypts thousands of values).
    """
    held = _held.get()
    if held is not None and directory is None:  # inside keys_held: the keys it read
        return held[1]
    folder = os.fspath(directory or settings.DATA_DIR)
    if held is not None and held[0] == folder:
        return held[1]
    stamps: list[tuple[int, int, int]] = []
    for name in (FERNET_KEY_FILE, HMAC_KEY_FILE):
        try:
            stat = os.stat(os.path.join(folder, name))
        except FileNotFoundError:
            raise _missing(Path(folder) / name) from None
        stamps.append((stat.st_mtime_ns, stat.st_ino, stat.st_size))
    marker = (folder, *stamps)
    found = _cache.get(marker)
    if found is None:
        found = _read(Path(folder))
        _cache.clear()
        _cache[marker] = found
    return found


def _write_new(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` (0600) unless it exists; atomic, safe between processes."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    return True


def create_keys(directory: Path | None = None) -> list[Path]:
    """Create whichever of the two keys is missing; returns the files created."""
    directory = directory or data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    created = []
    fernet_path, hmac_path = directory / FERNET_KEY_FILE, directory / HMAC_KEY_FILE
    if not fernet_path.exists() and _write_new(fernet_path, Fernet.generate_key().decode() + "\n"):
        created.append(fernet_path)
    hmac_text = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n"
    if not hmac_path.exists() and _write_new(hmac_path, hmac_text):
        created.append(hmac_path)
    return created


def rotate_fernet_key(directory: Path | None = None) -> Path:
    """Put a new Fernet key on top of ``fernet.key`` (the old ones still decrypt)."""
    directory = directory or data_dir()
    path = directory / FERNET_KEY_FILE
    keys(directory)  # raises when the file is missing or malformed: never rotate a bad file
    old = path.read_text().strip()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"{Fernet.generate_key().decode()}\n{old}\n")
    os.replace(temporary, path)
    return path


# ------------------------------------------------------------------------ values


def encrypt(text: str) -> str:
    """A Fernet token of ``text`` under the current key ("" stays "": nothing to hide)."""
    if text == "":
        return ""
    return keys().fernet.encrypt(text.encode()).decode()


def decrypt(token: str, *, label: str = "value") -> str:
    """The text behind a token; raises EncryptionKeyError when no key opens it."""
    if token == "":
        return ""
    try:
        return keys().fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyError(
            f"cannot decrypt {label}: none of the keys in {data_dir() / FERNET_KEY_FILE} "
            "opens it (a wrong or replaced key file; restore the keys of this database)"
        ) from None


def reencrypt(token: str) -> str:
    """The same text under the current key (MultiFernet.rotate)."""
    return token and keys().fernet.rotate(token.encode()).decode()


_SEPARATORS = re.compile(r"[\s.\-]")


def normalise(value: str) -> str:
    """A value as it is hashed: NFKC, no spaces, dots or dashes, upper case.

    >>> normalise(" 12.345-678 ") == normalise("12345678")
    True
    """
    text = str(value)
    if not text.isascii():  # NFKC leaves ASCII as it is: skipped for nearly every value
        text = unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("", text).upper()


def lookup_hash(value: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) of a normalised value; "" for an empty value.

    ``hmac.digest`` (one C call) rather than an ``hmac.new`` object: a batch of access
    events hashes each pass's credential twice (its look-up hash, its audit fingerprint).
    """
    compact = normalise(value)
    if compact == "":
        return ""
    return hmac.digest(keys().hmac_key, compact.encode(), hashlib.sha256).hex()


@contextlib.contextmanager
def raw_values() -> Iterator[None]:
    """Inside: encrypted fields read and write their stored tokens as they are (backup)."""
    marker = _raw.set(True)
    try:
        yield
    finally:
        _raw.reset(marker)


@contextlib.contextmanager
def keys_held() -> Iterator[None]:
    """Inside: the keys are read once, at the start, and used for every value.

    For one operation over many values (a batch of access events reads thousands): each
    value otherwise stats the key files again. A rotation is seen by the next operation.
    """
    try:
        found = keys()
    except EncryptionKeyError:  # said by the first value that needs them, as without this
        yield
        return
    marker = _held.set((os.fspath(settings.DATA_DIR), found))
    try:
        yield
    finally:
        _held.reset(marker)


def is_raw() -> bool:
    return _raw.get()
