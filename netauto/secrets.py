"""Secrets (IS-IS and BGP keys, SNMPv3 and login credentials) come from outside the inventory.

Source, first found: `--secrets FILE`, the `NETAUTO_SECRETS` environment variable (a file path),
`~/.config/netauto/secrets.yaml`. The file is YAML with the keys in `SECRET_KEYS`, readable by its
owner only. Only the configs sent to routers carry the values; every other artefact masks them.
"""

from __future__ import annotations

import os
import secrets as random_source
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml

from netauto.errors import NetautoError
from netauto.model.loader import read_bounded_yaml

SECRET_KEYS = ("isis_key", "bgp_password", "snmp_auth", "snmp_priv", "login_password")
DEFAULT_PATH = Path("~/.config/netauto/secrets.yaml")
MASK = "******"


class SecretsError(NetautoError):
    pass


@dataclass(frozen=True)
class Secrets:
    values: dict[str, str]
    source: Path

    def mask(self, text: str) -> str:
        """`text` with every secret value replaced by a mask (for diffs, logs, reports)."""
        for value in sorted(self.values.values(), key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


def secrets_path(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    from_env = os.environ.get("NETAUTO_SECRETS")
    return Path(from_env) if from_env else DEFAULT_PATH.expanduser()


def load_secrets(explicit: Path | None, inventory: Path) -> Secrets:
    path = secrets_path(explicit)
    if not path.exists():
        raise SecretsError(
            f"no secrets file at {path}; create one with `netauto secrets init` (random values) "
            "or point NETAUTO_SECRETS at yours"
        )
    if _inside(path.resolve(), inventory.resolve()):
        raise SecretsError(f"secrets file {path} is inside the inventory {inventory}; keep it outside the repository")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretsError(
            f"secrets file {path} can be read by other users (mode {mode:o}); make it yours alone: chmod 600 {path}"
        )
    data = read_bounded_yaml(path, "nothing was rendered or sent") or {}
    if not isinstance(data, dict):
        raise SecretsError(f"{path}: not a YAML mapping of secrets")
    missing = [key for key in SECRET_KEYS if not isinstance(data.get(key), str) or len(data[key]) < 8]
    if missing:
        raise SecretsError(f"{path}: missing or shorter than 8 characters: {', '.join(missing)}")
    return Secrets({key: data[key] for key in SECRET_KEYS}, path)


def init_secrets(path: Path) -> Path:
    """Write random secrets to `path` (mode 0600); refuses to overwrite."""
    if path.exists():
        raise SecretsError(f"{path} exists; not overwriting secrets")
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {key: random_source.token_urlsafe(18).replace("-", "x").replace("_", "y") for key in SECRET_KEYS}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("# netauto secrets: keep outside the repository, readable by its owner only\n")
        yaml.safe_dump(values, out)
    return path


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder if folder.is_dir() else folder.parent)
    except ValueError:
        return False
    return True
