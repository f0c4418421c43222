"""What the fixing benchmarks share: a demo lake's held-out domain (its eval samples, never trained on) and the
model to fix them with."""

from __future__ import annotations

import argparse


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--root", required=True, help="output_root of the lake and registry (a demo's)")
    ap.add_argument("--model", default="@champion")
    ap.add_argument("--database", default="ads", help="the held-out domain")
    ap.add_argument("--generated", action="store_true",
                    help="read the lake's generated_pairs instead (a repository of real SQL imported and generated "
                         "by benchmarks/real_generation.py; never trained on), every database")  # fmt: skip


def context(args):
    """The Context of the lake under ``args.root``."""
    from sqlfix.config import load_config
    from sqlfix.context import Context

    return Context(load_config("local", overrides=[f"output_root={args.root}"]))


def samples(args, n: int, keep=lambda row: True, ctx=None) -> tuple[object, list[dict]]:
    """(the lake's Context, up to ``n`` of its ``sft_eval`` samples over ``args.database`` that ``keep``
    accepts, a seeded pick one per category first)."""
    from sqlfix.dataset.build import databases
    from sqlfix.evaluation.evaluate import pick

    ctx = ctx or context(args)
    if getattr(args, "generated", False):
        rows = [{**r.asDict(), "sample_id": r["pair_id"]} for r in ctx.lake.read("generated_pairs").collect()]
        return ctx, pick([r for r in rows if keep(r)], n)
    rows = [r.asDict() for r in ctx.lake.read("sft_eval").collect()]
    return ctx, pick([r for r in rows if args.database in databases(r["bug_sql"]) and keep(r)], n)
