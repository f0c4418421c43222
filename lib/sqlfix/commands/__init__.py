"""The command layer: one module per ``sqlfix`` command (argument parsing, lake reads and writes, printing),
on top of the stage packages it calls. ``sqlfix.cli`` dispatches to these modules; ``jobs/*.py`` and the
bundle's console entry points go through ``sqlfix.cli``. No stage package imports a command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlfix.config import Override
from sqlfix.context import Context  # noqa: F401 - re-exported: commands and tests make one here


@dataclass(frozen=True)
class Subcommand:
    """A job's command-line face: one-line help, its arguments, and the function that runs it.

    ``flags``: argument (its ``dest``) -> the dotted setting it sets. A flag left out (``None``) leaves the
    setting as the config has it; one given is laid over the config as an ``Override`` with the flag as its
    source, so the command reads every setting from the config and ``sqlfix config show COMMAND ...`` shows
    where it came from. Such an argument must default to ``None``.
    """

    help: str
    add_arguments: Any
    run: Any
    layers: Any = None  # args -> {section: YAML file} laid over the config (sqlfix train --config F)
    section: str | None = None  # the config section whose keys --set may name bare
    flags: dict[str, str] = field(default_factory=dict)

    def overrides(self, args) -> list[Override]:
        """The settings this command line's flags set (each named by its option, as ``option_names`` of the
        parser recorded them, else by its ``dest``).

        Example:
            >>> import argparse
            >>> spec = Subcommand("", None, None, flags={"max_steps": "train.max_steps", "p": "train.p"})
            >>> spec.overrides(argparse.Namespace(max_steps=3, p=None))
            [Override(key='train.max_steps', value=3, source='--max-steps')]
        """
        names = getattr(args, "_option_names", None) or {}
        return [Override(key, getattr(args, dest), names.get(dest, f"--{dest.replace('_', '-')}"))
                for dest, key in self.flags.items() if getattr(args, dest, None) is not None]  # fmt: skip


def option_names(parser) -> dict[str, str]:
    """``dest`` -> the option that sets it (its first long one) for every optional argument of ``parser``."""
    return {a.dest: next((o for o in a.option_strings if o.startswith("--")), a.option_strings[0])
            for a in parser._actions if a.option_strings}  # fmt: skip  # noqa: SLF001 - argparse keeps them here
