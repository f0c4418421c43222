"""The spot-check pipelines: a stratified sample of a filter batch -> ``spot_checks`` (and a review sheet),
reviewers' verdicts recorded, and the pass-rate gate -> ``batch_approvals``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from pyspark.sql import functions as F

from sqlfix.errors import SqlfixError, UsageError
from sqlfix.spotcheck.batches import VERDICTS, decide, kept_pairs, stratified_sample, wilson
from sqlfix.sql.diff import render_diff
from sqlfix.tables import BATCH_APPROVALS, SPOT_CHECKS


def latest_batch(lake) -> str:
    row = lake.read("filter_runs").orderBy(F.col("started_at").desc()).select("batch_id").first()
    if row is None:
        raise SqlfixError("no filter batch yet", hint="run sqlfix filter first")
    return row["batch_id"]


def sample(ctx, batch_id: str, n: int, seed: int = 0) -> int:
    lake, now = ctx.lake, dt.datetime.now(dt.timezone.utc)
    picked = stratified_sample(
        kept_pairs(lake.read("bug_pairs"), lake.read("pair_verdicts"), batch_id), n, seed
    ).select("pair_id", "category_l3", "signal", "bug_sql", "fixed_sql")
    rows = [
        {"batch_id": batch_id, "pair_id": r["pair_id"], "category_l3": r["category_l3"], "signal": r["signal"],
         "diff": render_diff(r["bug_sql"], r["fixed_sql"]), "sampled_at": now, "verdict": None, "note": None,
         "reviewer": None, "reviewed_at": None}
        for r in picked.collect()
    ]  # fmt: skip
    if rows:
        lake.merge("spot_checks", ctx.spark.createDataFrame(rows, SPOT_CHECKS.spark_schema))  # a re-sample adds nothing
    return len(rows)


def write_sheet(lake, batch_id: str, out: Path) -> int:
    """A CSV for reviewers: the pair, its error and both SQL sides, and empty verdict/note/reviewer."""
    rows = (
        lake.read("spot_checks").filter(F.col("batch_id") == batch_id)
        .join(lake.read("bug_pairs").select("pair_id", "error_message", "bug_sql", "fixed_sql"), "pair_id")
        .orderBy("category_l3", "pair_id").collect()
    )  # fmt: skip
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "batch_id",
                "pair_id",
                "category_l3",
                "signal",
                "error_message",
                "bug_sql",
                "fixed_sql",
                "verdict",
                "note",
                "reviewer",
            ]
        )
        for r in rows:
            writer.writerow([batch_id, r["pair_id"], r["category_l3"], r["signal"], r["error_message"], r["bug_sql"], r["fixed_sql"],
                             r["verdict"] or "", r["note"] or "", r["reviewer"] or ""])  # fmt: skip
    return len(rows)


def record(ctx, verdicts: list[dict]) -> int:
    """Store reviewers' verdicts; every row must name a sampled pair and say pass or fail."""
    lake = ctx.lake
    sampled = {(r["batch_id"], r["pair_id"]): r.asDict() for r in lake.read("spot_checks").collect()}
    now, updates, problems = dt.datetime.now(dt.timezone.utc), [], []
    for i, v in enumerate(verdicts, 1):
        key = (v.get("batch_id"), v.get("pair_id"))
        verdict = (v.get("verdict") or "").strip().lower()
        if not verdict:
            continue  # an unfilled line of the sheet
        if key not in sampled:
            problems.append(f"row {i}: ({key[0]}, {key[1]}) is not in spot_checks")
        elif verdict not in VERDICTS:
            problems.append(f"row {i}: verdict {verdict!r} is not pass or fail")
        elif not (v.get("reviewer") or "").strip():
            problems.append(f"row {i}: no reviewer")
        else:
            updates.append({**sampled[key], "verdict": verdict, "note": v.get("note") or None,
                            "reviewer": v["reviewer"].strip(), "reviewed_at": now})  # fmt: skip
    if problems:
        raise UsageError("nothing stored, the verdicts have problems:\n  " + "\n  ".join(problems[:20]))
    if updates:
        lake.merge("spot_checks", ctx.spark.createDataFrame(updates, SPOT_CHECKS.spark_schema), update=True)
    return len(updates)


def read_verdicts(path: Path) -> list[dict]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def gate(ctx, batch_id: str, threshold: float) -> dict:
    rows = ctx.lake.read("spot_checks").filter(F.col("batch_id") == batch_id).select("verdict").collect()
    sampled = len(rows)
    reviewed = sum(r["verdict"] is not None for r in rows)
    passed = sum(r["verdict"] == "pass" for r in rows)
    low, high = wilson(passed, reviewed)
    decision = {
        "batch_id": batch_id, "sampled": sampled, "reviewed": reviewed, "passed": passed,
        "pass_rate": passed / reviewed if reviewed else None, "ci_low": low, "ci_high": high,
        "threshold": threshold, "approved": decide(passed, reviewed, sampled, threshold),
        "decided_at": dt.datetime.now(dt.timezone.utc),
    }  # fmt: skip
    if sampled:
        ctx.lake.merge(
            "batch_approvals", ctx.spark.createDataFrame([decision], BATCH_APPROVALS.spark_schema), update=True
        )
    return decision
