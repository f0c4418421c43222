"""``sqlfix prepare-model``: the embedded default base model as a local HF folder."""

from __future__ import annotations

from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.training.base_model import prepare


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="models/smollm2-135m-instruct", help="where the HF model folder goes")


def run(ctx, args) -> int:
    out = prepare(Path(args.out))
    print(f"prepare-model: SmolLM2-135M-Instruct in {out}")
    return 0


SUBCOMMANDS = {
    "prepare-model": Subcommand(
        "Convert the embedded default base model (SmolLM2-135M-Instruct GGUF) to a local HF folder.", add_arguments, run
    )
}
