"""Configuration: profiles in ``conf/``, dotted command-line overrides, one lake root.

A profile is ``conf/<profile>.yaml`` laid over ``conf/local.yaml`` (the embedded default), then the
``--set key.sub=value`` overrides, then the lake root from ``--lake-root`` or ``SQLFIX_LAKE_ROOT``.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from sqlfix.errors import UsageError

BASE_PROFILE = "local"
LAKE_ROOT_ENV = "SQLFIX_LAKE_ROOT"
CONF_DIR_ENV = "SQLFIX_CONF_DIR"


class ConfigError(UsageError, ValueError):
    """A configuration file or override that cannot be used."""


def conf_dir() -> Path:
    """The folder holding the YAML configs.

    ``SQLFIX_CONF_DIR`` wins; then ``conf/`` of a source checkout; then the copy a wheel installs
    under ``<prefix>/share/sqlfix/conf``.
    """
    candidates = []
    if os.environ.get(CONF_DIR_ENV):
        candidates.append(Path(os.environ[CONF_DIR_ENV]))
    candidates.append(Path(__file__).resolve().parents[2] / "conf")
    candidates.append(Path(sys.prefix) / "share" / "sqlfix" / "conf")
    for path in candidates:
        if (path / f"{BASE_PROFILE}.yaml").is_file():
            return path
    raise ConfigError(f"no sqlfix conf folder found (looked in {', '.join(map(str, candidates))})")


def deep_merge(base: dict, over: dict) -> dict:
    """Return ``base`` updated recursively with ``over`` (neither is modified).

    Example:
        >>> deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}})
        {'a': {'b': 1, 'c': 3}}
    """
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def apply_override(cfg: dict, override: str) -> dict:
    """Apply one dotted ``key.sub=value`` override; the value is read as YAML.

    Example:
        >>> apply_override({"lake": {"root": "lake"}}, "lake.root=/tmp/x")
        {'lake': {'root': '/tmp/x'}}
        >>> apply_override({}, "ingest.max_sql_bytes=10")
        {'ingest': {'max_sql_bytes': 10}}
    """
    if "=" not in override:
        raise ConfigError(f"override {override!r} is not of the form key.sub=value")
    dotted, raw = override.split("=", 1)
    keys = [k for k in dotted.strip().split(".") if k]
    if not keys:
        raise ConfigError(f"override {override!r} names no key")
    out = copy.deepcopy(cfg)
    node = out
    for key in keys[:-1]:
        if not isinstance(node.setdefault(key, {}), dict):
            raise ConfigError(f"override {override!r}: {key!r} is not a section")
        node = node[key]
    node[keys[-1]] = yaml.safe_load(raw)
    return out


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def load_config(
    profile: str = BASE_PROFILE,
    overrides: Iterable[str] = (),
    lake_root: str | None = None,
) -> dict[str, Any]:
    """Load a profile with its overrides.

    Args:
        profile: name of a ``conf/<profile>.yaml``, or a path to a YAML file.
        overrides: dotted ``key=value`` strings applied last.
        lake_root: local lake folder; defaults to ``SQLFIX_LAKE_ROOT`` then ``lake.root``.

    Raises:
        ConfigError: unknown profile, bad YAML or a malformed override.
    """
    folder = conf_dir()
    cfg = _read_yaml(folder / f"{BASE_PROFILE}.yaml")
    if profile != BASE_PROFILE:
        path = Path(profile) if profile.endswith((".yaml", ".yml")) else folder / f"{profile}.yaml"
        if not path.is_file():
            raise ConfigError(f"unknown profile {profile!r}: {path} does not exist")
        cfg = deep_merge(cfg, _read_yaml(path))
    for override in overrides:
        cfg = apply_override(cfg, override)
    root = lake_root or os.environ.get(LAKE_ROOT_ENV)
    if root:
        cfg.setdefault("lake", {})["root"] = str(root)
    cfg["conf_dir"] = str(folder)
    return cfg
