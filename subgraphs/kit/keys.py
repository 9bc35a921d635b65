"""Where a subgraph's encryption keys come from: the environment, or generated development files.

Production sets the subgraph's key variables (read by :mod:`crypto`:
``<PREFIX>_ENCRYPTION_KEYRING``, ``..._KEYRING_FILE``, ``<PREFIX>_ENCRYPTION_SECRET_KEY`` or the
seed's ``ENCRYPTION_SECRET_KEY``, and ``<PREFIX>_BLIND_INDEX_KEYRING`` / ``..._KEYRING_FILE`` /
``<PREFIX>_BLIND_INDEX_KEY``). When none of them is set, the service is running on a developer's
machine: keys are generated on first run into ``<data_dir>/keys/<subgraph>.keyring.json`` and
``<subgraph>.blind-index-keyring.json`` (mode 0600, in the ignored data folder) and reused
afterwards, so a restart can still read what it wrote.
The files have exactly the format ``..._KEYRING_FILE`` accepts, so the key rotation tools work on
them too. Setting some variables but not others is a configuration error, never a silent fallback.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from crypto import BlindIndexKeyring, EncryptionServices, KeyConfigurationError, Keyring

__all__ = ["development_key_files", "key_variable_names", "load_encryption_services"]

log = logging.getLogger(__name__)


def key_variable_names(env_name: str) -> tuple[str, ...]:
    """Return every environment variable that configures keys for the subgraph ``env_name``."""
    return (
        f"{env_name}_ENCRYPTION_KEYRING",
        f"{env_name}_ENCRYPTION_KEYRING_FILE",
        f"{env_name}_ENCRYPTION_SECRET_KEY",
        "ENCRYPTION_SECRET_KEY",
        f"{env_name}_BLIND_INDEX_KEYRING",
        f"{env_name}_BLIND_INDEX_KEYRING_FILE",
        f"{env_name}_BLIND_INDEX_KEY",
    )


def development_key_files(keys_dir: Path, subgraph: str) -> tuple[Path, Path]:
    """Return the paths of the generated data keyring and blind-index keyring."""
    return (
        keys_dir / f"{subgraph}.keyring.json",
        keys_dir / f"{subgraph}.blind-index-keyring.json",
    )


def _write_secret_file(path: Path, text: str) -> None:
    # O_EXCL: two processes starting at once must not overwrite each other's fresh keys.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _development_keys(keys_dir: Path, subgraph: str) -> tuple[Keyring, BlindIndexKeyring]:
    data_path, blind_path = development_key_files(keys_dir, subgraph)
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path, kind in ((data_path, Keyring), (blind_path, BlindIndexKeyring)):
        if not path.exists():
            try:
                _write_secret_file(path, kind.generate().to_json())
                log.warning("generated development keys for %s in %s", subgraph, path)
            except FileExistsError:
                pass  # another process won the race; read its keys below
    keyring = Keyring.from_json(data_path.read_text(encoding="utf-8"), source=str(data_path))
    blind = BlindIndexKeyring.from_json(
        blind_path.read_text(encoding="utf-8"), source=str(blind_path)
    )
    return keyring, blind


def load_encryption_services(
    *,
    subgraph: str,
    env_name: str,
    keys_dir: Path,
    environ: Mapping[str, str] | None = None,
) -> EncryptionServices:
    """Build the subgraph's long-lived encryption services from the environment or dev files."""
    env = os.environ if environ is None else environ
    configured = [name for name in key_variable_names(env_name) if env.get(name)]
    if not configured:
        keyring, blind = _development_keys(keys_dir, subgraph)
    else:
        keyring = Keyring.from_environ(env_name, env)
        try:
            blind = BlindIndexKeyring.from_environ(env_name, env)
        except KeyConfigurationError as exc:
            raise KeyConfigurationError(
                f"{env_name}: encryption keys are configured ({', '.join(configured)}) but no "
                f"blind-index key: set {env_name}_BLIND_INDEX_KEY or {env_name}_BLIND_INDEX_KEYRING"
            ) from exc
    return EncryptionServices(subgraph, keyring, blind)
