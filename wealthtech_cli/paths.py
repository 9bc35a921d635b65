"""Where the ``wealthtech`` command keeps its data and finds the files it ships with.

Data: ``WEALTHTECH_DATA_DIR`` when set, else the per-user data directory of the platform
(platformdirs: ``$XDG_DATA_HOME/wealthtech``, by default ``~/.local/share/wealthtech``, on Linux;
``~/Library/Application Support/wealthtech`` on macOS; ``%LOCALAPPDATA%/wealthtech`` on Windows),
so that ``wealthtech up`` run from any directory finds the same databases and keys. Services
started directly (``python -m subgraphs.users serve``, compose) keep their own default, ``./data``.

Schema: the committed ``schema/`` files ship inside the package as ``wealthtech_cli/schema``
(a symbolic link in the checkout, copied into wheels), so the supergraph needs no checkout.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from importlib import resources
from pathlib import Path

from platformdirs import user_data_dir

__all__ = ["DATA_DIR_VARIABLE", "data_dir_from", "default_data_dir", "packaged_supergraph"]

DATA_DIR_VARIABLE = "WEALTHTECH_DATA_DIR"


def default_data_dir() -> Path:
    """Return the per-user data directory used when ``WEALTHTECH_DATA_DIR`` is not set."""
    return Path(user_data_dir("wealthtech", appauthor=False))


def data_dir_from(environ: Mapping[str, str] | None = None) -> Path:
    """Return the data directory for ``environ`` (default: the process environment), absolute."""
    env = os.environ if environ is None else environ
    value = env.get(DATA_DIR_VARIABLE)
    return (Path(value).expanduser() if value else default_data_dir()).resolve()


def export_data_dir(environ: MutableMapping[str, str] | None = None) -> Path:
    """Set ``WEALTHTECH_DATA_DIR`` to the resolved data directory (for every sub-command)."""
    env = os.environ if environ is None else environ
    path = data_dir_from(env)
    env[DATA_DIR_VARIABLE] = str(path)
    return path


def packaged_supergraph() -> Path:
    """Return the supergraph SDL that ships with the package."""
    path = Path(str(resources.files("wealthtech_cli") / "schema" / "supergraph.graphql"))
    if not path.is_file():  # pragma: no cover - a broken installation
        raise FileNotFoundError(f"the packaged supergraph is missing: {path}")
    return path
