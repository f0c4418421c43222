"""``sqlfix config show [--json] [COMMAND ARGS...]``: the resolved configuration and where each value came from
(a file, ``--set``, a flag, the environment). With a command line after it, the settings that command line
would run with: ``sqlfix config show train --config conf/train/dmsft.yaml --max-steps 3`` shows ``train.max_steps``
from ``--max-steps`` (the CLI lays that command's files and flags; nothing runs)."""

from __future__ import annotations

import json

from sqlfix.commands import Subcommand


def flatten(cfg: dict, prefix: str = "") -> dict[str, object]:
    """Dotted key -> value for every leaf of ``cfg`` (an empty map is a leaf).

    Example:
        >>> flatten({"a": {"b": 1, "c": {}}, "d": [1, 2]})
        {'a.b': 1, 'a.c': {}, 'd': [1, 2]}
    """
    out: dict[str, object] = {}
    for key, value in cfg.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=("show",), help="show: print the resolved configuration")
    parser.add_argument("--json", action="store_true", help="as JSON: {key: {value, source}}")


def run(ctx, args) -> int:
    sources = getattr(ctx.cfg, "sources", {})
    settings = {k: v for k, v in flatten(ctx.cfg).items() if k != "conf_dir"}
    if args.json:
        print(json.dumps({k: {"value": v, "source": sources.get(k, "derived")} for k, v in settings.items()}, indent=1))
        return 0
    width = max(map(len, settings))
    for key, value in settings.items():
        print(f"{key:<{width}} = {json.dumps(value)}    # {sources.get(key, 'derived')}")
    return 0


SUBCOMMANDS = {
    "config": Subcommand(
        "Show the resolved configuration and where each value came from.",
        add_arguments,
        run,
    )  # fmt: skip
}
