"""Verified bug pairs from one repository of real SQL: import, targets over every mutator leaf, generation.

    git clone https://github.com/mozilla/bigquery-etl /data/repos/bigquery-etl   # any commit; say which
    .venv/bin/python benchmarks/real_generation.py --repo /data/repos/bigquery-etl --dialect bigquery \\
        --root /tmp/real_generation --variants 4 --out benchmarks/results/real_generation.txt

A fresh lake under ``--root``: ``sqlfix corpus --repo`` (timed), ``sqlfix targets --leaves`` with every leaf a
mutator injects (``--per-leaf`` pairs wanted each), ``sqlfix generate`` with ``generation.variants`` (timed).
It reports the corpus (queries, quarantine reasons), the kept pairs, the leaves they cover, the largest
leaf / table-set shares (the quotas: ``generation.max_leaf_share`` and ``max_tables_share``), rejections by
reason, pairs per edit size (changed lines), and seconds per stage. It trains nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", required=True, help="a checked-out repository of SQL")
    ap.add_argument("--dialect", required=True)
    ap.add_argument("--root", required=True, help="output_root of a scratch lake (emptied first)")
    ap.add_argument("--per-leaf", type=int, default=5000, help="pairs wanted per leaf (the quotas cap them)")
    ap.add_argument("--variants", type=int, default=4, help="generation.variants: distinct bugs per candidate")
    ap.add_argument("--per-group", type=int, default=4, help="generation.per_group: candidates per task/table set")
    ap.add_argument("--commit", help="the repository's commit, where --repo is not a git checkout")
    ap.add_argument("--out", help="also write the report here")
    args = ap.parse_args()

    from sqlfix.config import load_config
    from sqlfix.context import Context
    from sqlfix.generation.mutators import MUTATORS
    from sqlfix.generation.run import run_generate, run_repository, run_targets

    root = Path(args.root)
    shutil.rmtree(root, ignore_errors=True)
    overrides = [f"output_root={root}", f"generation.per_leaf={args.per_leaf}", f"generation.variants={args.variants}",
                 f"generation.per_group={args.per_group}", "generation.oversample=1"]  # fmt: skip
    ctx = Context(load_config("local", overrides=overrides))
    lines = [f"# real_generation: {Path(args.repo).name} ({args.dialect})"]
    commit = args.commit or subprocess.run(["git", "-C", args.repo, "rev-parse", "HEAD"], capture_output=True,
                                           text=True, check=False).stdout.strip()  # fmt: skip
    lines.append(f"repository commit: {commit or 'unknown (not a git checkout)'}")
    lines.append(f"settings: per_leaf {args.per_leaf}, variants {args.variants}, per_group {args.per_group}")

    t0 = time.perf_counter()
    imported = run_repository(ctx, args.repo, args.dialect)
    t_import = time.perf_counter() - t0
    lines.append(f"import: {imported['files']} files, {imported['statements']} statements -> {imported['corpus']} "
                 f"analysed queries (DDL {imported['ddl']}, {imported['tables']} tables) in {t_import:.0f}s")  # fmt: skip
    lines.append(f"  quarantined: {imported['rejected']}")

    leaves = sorted({m.leaf for m in MUTATORS.values()})
    t1 = time.perf_counter()
    run_targets(ctx, leaves, "mutators", max_targets=len(leaves))
    out = run_generate(ctx, "mutators")
    t_generate = time.perf_counter() - t1
    pairs = [r.asDict() for r in ctx.lake.read("generated_pairs").collect()]
    by_leaf = Counter(p["target_leaf"] for p in pairs)
    by_tables = Counter(",".join(sorted(p["tables"] or [])) for p in pairs)
    by_size = Counter(min(p["changed_lines"], 4) for p in pairs)
    by_rule = Counter(p["generator"] for p in pairs)
    n = len(pairs)
    lines.append(f"generate: {out['candidates']} candidates, {out['generated']} bugs, {n} kept verified pairs over "
                 f"{len(by_leaf)} leaves from {len({p['corpus_id'] for p in pairs})} queries in {t_generate:.0f}s")  # fmt: skip
    if n:
        leaf, top = by_leaf.most_common(1)[0]
        tables, top_t = by_tables.most_common(1)[0]
        lines.append(f"  largest leaf share {top / n:.1%} ({leaf}); largest table-set share {top_t / n:.1%} ({tables})")
    lines.append(f"  rejected by reason: {json.dumps(dict(sorted(out['reasons'].items())))}")
    lines.append("  changed lines per pair: " + ", ".join(f"{'4+' if k == 4 else k}: {v}" for k, v in sorted(by_size.items())))
    lines.append(f"total: {t_import + t_generate:.0f}s")
    lines.append("")
    lines.append("| leaf | kept pairs |")
    lines.append("|---|---|")
    lines += [f"| {leaf} | {count} |" for leaf, count in sorted(by_leaf.items(), key=lambda x: (-x[1], x[0]))]
    lines.append("")
    lines.append("| mutator | kept pairs |")
    lines.append("|---|---|")
    lines += [f"| {rule.removeprefix('mutator:')} | {count} |" for rule, count in sorted(by_rule.items(), key=lambda x: (-x[1], x[0]))]
    report = "\n".join(lines)
    print(report)
    if args.out:
        Path(args.out).write_text(report + "\n")


if __name__ == "__main__":
    main()
