"""Configuration: one mechanism for every command.

Layers, each over the last: ``conf/local.yaml`` (the embedded default, holding every setting's default:
code restates none, it reads ``defaults``), a profile ``conf/<profile>.yaml``, the environment
(``SQLFIX_LAKE_ROOT``, ``SQLFIX_OUTPUT_ROOT``), a command's own file mounted as one section (``sqlfix train
--config F`` lays F over ``train:``), the ``--set key.sub=value`` overrides (a command with a section of its
own takes its keys bare: ``sqlfix train --set p=0.3``), then ``Override``s: a command's flags
(``Subcommand.flags``), ``--lake-root``, a notebook's widgets. An override must name a setting that exists
(or a key inside a free-form map such as ``spark.extra``): a typo is an error, never silently ignored.
Relative local paths (``PATH_KEYS``) are taken under ``output_root``. ``Config.sources`` says where each
value came from (``sqlfix config show [COMMAND ARGS]``).
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sqlfix.errors import UsageError

BASE_PROFILE = "local"
# Local paths taken under ``output_root`` when relative (dotted keys; a sqlite MLflow URI's file too).
PATH_KEYS = ("lake.root", "demo.workdir", "train.dataset_dir", "train.corpus", "train.model", "train.output_dir",
             "train.mlflow.tracking_uri", "evaluate.model_cache", "experiment.output_dir",
             "experiment.dataset_dir")  # fmt: skip
LAKE_ROOT_ENV = "SQLFIX_LAKE_ROOT"
OUTPUT_ROOT_ENV = "SQLFIX_OUTPUT_ROOT"
CONF_DIR_ENV = "SQLFIX_CONF_DIR"


class ConfigError(UsageError, ValueError):
    """A configuration file or override that cannot be used."""


@dataclass(frozen=True)
class Override:
    """One setting laid from outside the files: ``key`` dotted (or bare in a command's section), ``value``
    already typed (never read as YAML), ``source`` what set it (``--max-steps``, ``SQLFIX_FIGURES``, ``widget
    figures``): ``sqlfix config show`` prints it."""

    key: str
    value: Any
    source: str


def defaults(*path: str) -> Any:
    """The base profile's value at ``path``: where code needs a setting's default, it reads it here (one
    place for every default: ``conf/local.yaml``).

    Example:
        >>> defaults("promote", "metric"), defaults("fix")["rounds"]
        ('ast', 2)
    """
    node: Any = _read_yaml(conf_dir() / f"{BASE_PROFILE}.yaml")
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise ConfigError("no such setting", input=".".join(path))
        node = node[key]
    return copy.deepcopy(node)


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
    keys, raw = _parse_override(override)
    return _set(cfg, keys, yaml.safe_load(raw))


def _set(cfg: dict, keys: list[str], value: Any) -> dict:
    """A copy of ``cfg`` with the dotted ``keys`` set to ``value``."""
    out = copy.deepcopy(cfg)
    node = out
    for key in keys[:-1]:
        if not isinstance(node.setdefault(key, {}), dict):
            raise ConfigError(f"setting {'.'.join(keys)!r}: {key!r} is not a section")
        node = node[key]
    node[keys[-1]] = value
    return out


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


class Config(dict):
    """The resolved settings (a plain mapping), and ``sources``: dotted key -> where its value came from."""

    sources: dict[str, str]


def load_config(
    profile: str = BASE_PROFILE,
    overrides: Iterable[str] = (),
    lake_root: str | None = None,
    layers: dict[str, str] | None = None,
    bare_section: str | None = None,
) -> Config:
    """Load a profile, a command's layers and the overrides.

    Args:
        profile: name of a ``conf/<profile>.yaml``, or a path to a YAML file.
        overrides: dotted ``key=value`` strings applied after the files.
        lake_root: local lake folder; defaults to ``SQLFIX_LAKE_ROOT`` then ``lake.root``.
        layers: section -> YAML file laid over that section (``{"train": "conf/train/dmsft.yaml"}``);
            a relative file is looked up in the working directory, then beside the installed configs.
        bare_section: a section whose keys overrides may name without its prefix.

    Raises:
        ConfigError: unknown profile or file, bad YAML, a malformed override or one naming no setting.
    """
    folder = conf_dir()
    sources: dict[str, str] = {}
    base = folder / f"{BASE_PROFILE}.yaml"
    cfg = _read_yaml(base)
    _mark(sources, cfg, "", str(base))
    if profile != BASE_PROFILE:
        path = Path(profile) if profile.endswith((".yaml", ".yml")) else folder / f"{profile}.yaml"
        if not path.is_file():
            raise ConfigError(f"unknown profile {profile!r}: {path} does not exist")
        data = _read_yaml(path)
        cfg = deep_merge(cfg, data)
        _mark(sources, data, "", str(path))
    for key, env in (("output_root", OUTPUT_ROOT_ENV), ("lake.root", LAKE_ROOT_ENV)):
        if os.environ.get(env):
            *parents, leaf = key.split(".")
            node = cfg
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = os.environ[env]
            sources[key] = env
    cfg["conf_dir"] = str(folder)
    out = Config(cfg)
    out.sources = sources
    flags = [Override("lake.root", str(lake_root), "--lake-root")] if lake_root else []
    return lay(out, layers, [*overrides, *flags], bare_section)


def filled(values: dict[str, Any], *path: str) -> dict[str, Any]:
    """``values`` with each ``None`` replaced by the base profile's setting of that name under ``path``: how a
    class or function with settings of its own (``Fixer``, ``Reward``, ``promotion.decide``) gets its
    defaults without restating them.

    Example:
        >>> filled({"rounds": None, "samples": 1}, "fix")
        {'rounds': 2, 'samples': 1}
    """
    section = defaults(*path) if any(v is None for v in values.values()) else {}
    return {k: section[k] if v is None else v for k, v in values.items()}


def lay(
    cfg: dict,
    layers: dict[str, str] | None = None,
    overrides: Iterable[str | Override] = (),
    bare_section: str | None = None,
) -> Config:
    """``cfg`` with a command's layer files, the ``--set`` overrides (strings) and ``Override``s laid over it,
    in that order (see ``load_config``), relative local paths taken under ``output_root``. ``cfg`` itself is
    not changed."""
    sources = dict(getattr(cfg, "sources", {}))
    out = copy.deepcopy(dict(cfg))
    folder = conf_dir()
    for section, file in (layers or {}).items():
        path = resolve_conf_path(file)
        if path is None:
            raise ConfigError("no such config file", input=str(file), hint=f"see {folder}/{section}/*.yaml")
        data = _read_yaml(path)
        out[section] = deep_merge(out.get(section) or {}, data)
        _mark(sources, data, f"{section}.", str(path))
    known = copy.deepcopy(out)
    ordered = [o for o in overrides if isinstance(o, str)] + [o for o in overrides if isinstance(o, Override)]
    for override in ordered:
        if isinstance(override, Override):
            keys = _known_keys(known, override.key.split("."), bare_section)
            out = _set(out, keys, copy.deepcopy(override.value))
            sources[".".join(keys)] = override.source
            continue
        dotted = _checked(known, override, bare_section)
        out = apply_override(out, dotted)
        sources[dotted.split("=", 1)[0]] = "--set"
    _under_output_root(out)
    result = Config(out)
    result.sources = sources
    return result


def resolve_conf_path(file: str | os.PathLike | None) -> Path | None:
    """A config file (a training recipe, a DeepSpeed config) as given, else relative to the installed
    configs (``conf/train/dmsft.yaml`` works from any folder and on a cluster); None if neither exists.

    Example:
        >>> resolve_conf_path("conf/train/dmsft.yaml").name, resolve_conf_path("no/such.yaml")
        ('dmsft.yaml', None)
    """
    if not file:
        return None
    path = Path(file)
    if path.is_file():
        return path
    folder = conf_dir()
    for candidate in (folder.parent / path, folder / path, folder / path.name):
        if candidate.is_file():
            return candidate
    return None


def _mark(sources: dict[str, str], data: dict, prefix: str, source: str) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and value:
            _mark(sources, value, f"{prefix}{key}.", source)
        else:
            sources[f"{prefix}{key}"] = source


def _parse_override(override: str) -> tuple[list[str], str]:
    """(dotted keys, raw value) of ``key.sub=value``."""
    if "=" not in override:
        raise ConfigError(f"override {override!r} is not of the form key.sub=value")
    dotted, raw = override.split("=", 1)
    keys = [k for k in dotted.strip().split(".") if k]
    if not keys:
        raise ConfigError(f"override {override!r} names no key")
    return keys, raw


def _checked(known: dict, override: str, bare_section: str | None) -> str:
    """``override`` with its full dotted key, if it names a setting; else a ConfigError."""
    keys, value = _parse_override(override)
    return ".".join(_known_keys(known, keys, bare_section)) + "=" + value


def _known_keys(known: dict, keys: list[str], bare_section: str | None) -> list[str]:
    """``keys`` in full (a bare key of ``bare_section`` prefixed), if they name a setting; else a ConfigError."""
    if keys[0] not in known and bare_section and keys[0] in (known.get(bare_section) or {}):
        keys = [bare_section, *keys]
    node = known
    for key in keys:
        if isinstance(node, dict) and not node:
            break  # a free-form map (spark.extra, ingest.column_map, ...): any key
        if not isinstance(node, dict) or key not in node:
            raise ConfigError("no such setting", input=".".join(keys), hint="`sqlfix config show` lists the settings")
        node = node[key]
    return keys


def _under_output_root(cfg: dict) -> None:
    root = Path(str(cfg.get("output_root") or "."))
    for dotted in PATH_KEYS:
        *parents, leaf = dotted.split(".")
        node = cfg
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or not isinstance(node.get(leaf), str):
            continue
        value = node[leaf]
        if leaf == "tracking_uri":  # a URI: only a local sqlite file is a path of ours ("databricks" is not)
            file = value.removeprefix("sqlite:///")
            if value.startswith("sqlite:///") and not Path(file).is_absolute():
                node[leaf] = f"sqlite:///{root / file}"
        elif "://" not in value and not Path(value).is_absolute():
            node[leaf] = str(root / value)

