"""The dataset pipeline: kept pairs of approved batches -> versioned ``sft_train`` / ``sft_eval`` with the
fixer prompt, and their export as JSON Lines with a manifest naming the dataset version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path

from pyspark.sql import functions as F

from sqlfix.dataset.build import SplitConfig, samples
from sqlfix.errors import SqlfixError
from sqlfix.spotcheck.batches import approved_pairs
from sqlfix.sql.references import is_reserved, referenced_tables
from sqlfix.tables import SFT_REJECTED, SFT_TRAIN


def build(ctx, split_cfg: SplitConfig, anon: dict | None = None) -> dict:
    lake, spark = ctx.lake, ctx.spark
    approved = approved_pairs(lake.read("bug_pairs"), lake.read("pair_verdicts"), lake.read("batch_approvals"))
    rows = [{**r.asDict(), "source": "mined"} for r in approved.toLocalIterator()]
    if split_cfg.generated:
        generated = lake.read("generated_pairs").withColumn("batch_id", F.col("run_id"))
        rows += [r.asDict() for r in generated.toLocalIterator()]
    rows, reserved = _without_reserved(rows, ctx.cfg["dataset"]["reserved"])
    if not rows:  # a scheduled training job must not train on nothing
        raise SqlfixError("no approved batch holds a kept pair; nothing written", hint="run sqlfix spotcheck gate")
    out, duplicates = samples(rows, split_cfg, anon)
    fingerprint = hashlib.sha256(
        json.dumps(sorted((s["sample_id"], s["split"], s["prompt"], s["target"]) for s in out)).encode()
    ).hexdigest()
    last = lake.read("dataset_builds").orderBy(F.col("built_at").desc()).first()
    config = json.dumps({"split": split_cfg.__dict__, "anonymize": anon or {}}, sort_keys=True)
    if last is not None and last["fingerprint"] == fingerprint:
        return {**last.asDict(), "unchanged": True, "reserved": len(reserved)}
    for name, side in (("sft_train", "train"), ("sft_eval", "eval")):
        part = [{k: s[k] for k in SFT_TRAIN.column_names} for s in out if s["split"] == side]
        lake.overwrite(name, spark.createDataFrame(part, SFT_TRAIN.spark_schema))
    record = {
        "build_id": uuid.uuid4().hex, "built_at": dt.datetime.now(dt.timezone.utc), "fingerprint": fingerprint,
        "train_version": lake.version("sft_train"), "eval_version": lake.version("sft_eval"),
        "train_rows": sum(s["split"] == "train" for s in out), "eval_rows": sum(s["split"] == "eval" for s in out),
        "duplicates": duplicates, "config": config,
    }  # fmt: skip
    lake.overwrite("sft_rejected", spark.createDataFrame([{**r, "build_id": record["build_id"]} for r in reserved],
                                                          SFT_REJECTED.spark_schema))  # fmt: skip
    lake.append("dataset_builds", spark.createDataFrame([record], lake.table("dataset_builds").spark_schema))
    return {**record, "unchanged": False, "reserved": len(reserved)}


def _without_reserved(rows: list[dict], rules: dict) -> tuple[list[dict], list[dict]]:
    """(rows that read no evaluation benchmark, ``sft_rejected`` rows of those that do: ``sql.references.is_reserved``
    on both sides of each pair)."""
    kept, out = [], []
    for r in rows:
        if is_reserved(referenced_tables(r["bug_sql"]) + referenced_tables(r["fixed_sql"]), rules):
            out.append({"sample_id": r["pair_id"], "source": r.get("source") or "mined", "reason": "reserved_benchmark",
                        "bug_sql": r["bug_sql"], "fixed_sql": r["fixed_sql"]})  # fmt: skip
        else:
            kept.append(r)
    return kept, out


def export(ctx, out: Path) -> dict:
    """The current build as JSON Lines plus a manifest naming its version."""
    lake = ctx.lake
    last = lake.read("dataset_builds").orderBy(F.col("built_at").desc()).first()
    if last is None:
        raise SqlfixError("no dataset built yet", hint="run sqlfix build-dataset")
    out.mkdir(parents=True, exist_ok=True)
    for name, file in (("sft_train", "train.jsonl"), ("sft_eval", "eval.jsonl")):
        with (out / file).open("w", encoding="utf-8") as fh:
            for row in (
                lake.read(name, version=last[f"{name.split('_')[1]}_version"]).orderBy("sample_id").toLocalIterator()
            ):
                fh.write(json.dumps(row.asDict(), ensure_ascii=False) + "\n")
    manifest = {
        "dataset_version": f"sft_train@v{last['train_version']}+sft_eval@v{last['eval_version']}",
        "build_id": last["build_id"], "fingerprint": last["fingerprint"], "train_rows": last["train_rows"],
        "eval_rows": last["eval_rows"], "lake": str(lake.location("sft_train")),
    }  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest
