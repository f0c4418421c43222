"""One evaluation: a generator's fixes for a set of samples, verified by the filter's sandbox and scored.

Samples are dicts with ``sample_id``, ``schema_ddl``, ``bug_sql``, ``error_message``, ``fixed_sql`` and
(optionally) ``category_l1``/``category_l3``, ``signal``, ``source`` — an ``sft_eval`` row, or a line of a
user's JSON Lines file (``read_eval_file``). Nothing a model writes is executed: the prediction and the bug
are dry-run (parsed and analysed) against the sample's schema in the sandbox. ``analysis_pass``: the
prediction passes; ``error_gone``: it no longer raises the bug's own error condition.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

from sqlfix.dataset.build import databases
from sqlfix.errors import UsageError
from sqlfix.evaluation.metrics import aggregate, score
from sqlfix.taxonomy.classify import classify

GROUPS = ("category_l1", "category_l2", "category_l3", "diff_bucket", "edit_size", "signal", "source", "database")
FIELDS = ("schema", "bug_sql", "error_message", "fixed_sql")


def read_eval_file(path: Path) -> list[dict]:
    """A user's eval cases (JSON Lines: ``schema``, ``bug_sql``, ``error_message``, ``fixed_sql``, optional
    ``category`` and ``sample_id``) as samples. A bad line is an error naming it; none is skipped."""
    samples, seen = [], set()
    with Path(path).open(encoding="utf-8", errors="strict") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"not JSON ({exc.msg})", input=where) from None
            if not isinstance(row, dict):
                raise UsageError("each line must be a JSON object", input=where)
            for name in ("bug_sql", "fixed_sql"):
                if not isinstance(row.get(name), str) or not row[name].strip():
                    raise UsageError(f"missing or empty string field {name}", input=where,
                                     hint=f"each line needs {', '.join(FIELDS)}")  # fmt: skip
            for name in ("schema", "error_message", "category", "sample_id"):
                if row.get(name) is not None and not isinstance(row[name], str):
                    raise UsageError(f"field {name} must be a string", input=where)
            digest = hashlib.sha1(f"{row['bug_sql']}\0{row['fixed_sql']}".encode()).hexdigest()[:10]
            sample_id = row.get("sample_id") or f"line{number}-{digest}"  # the same case twice is two samples
            if sample_id in seen:
                raise UsageError(f"sample_id {sample_id} is used twice", input=where)
            seen.add(sample_id)
            samples.append({
                "sample_id": sample_id, "schema_ddl": row.get("schema"), "bug_sql": row["bug_sql"],
                "error_message": row.get("error_message"), "fixed_sql": row["fixed_sql"],
                "category_l3": row.get("category"), "signal": row.get("signal"), "source": row.get("source") or "file",
            })  # fmt: skip
    if not samples:
        raise UsageError("no eval cases in the file", input=str(path))
    return samples


def with_categories(samples: list[dict]) -> list[dict]:
    """Fill the taxonomy levels: a given leaf names its group and family; no leaf, classify the message."""
    out = []
    for s in samples:
        s = dict(s)
        leaf = s.get("category_l3")
        if not leaf:
            c = classify(s.get("error_message"), s["bug_sql"])
            s["category_l1"], leaf = c.category_l1, c.category_l3
        parts = leaf.split(".")
        s["category_l3"] = leaf
        s["category_l2"] = ".".join(parts[:2]) if len(parts) >= 2 else leaf
        s["category_l1"] = s.get("category_l1") or parts[0]
        s["database"] = ",".join(sorted(databases(s["bug_sql"]))) or "-"
        out.append(s)
    return out


def verify(judge, samples: list[dict], predictions: list[str]) -> list[tuple[bool, bool, object]]:
    """(analysis_pass, error_gone, the prediction's dry run) per sample, by schema."""
    by_schema: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        by_schema[s.get("schema_ddl") or ""].append(i)
    out: list = [None] * len(samples)
    for ddl, idx in by_schema.items():
        judge.box.load(ddl)
        for i in idx:
            bug = judge.side(samples[i]["bug_sql"])
            pred = judge.side(predictions[i]) if predictions[i].strip() else None
            passes = bool(pred is not None and pred.ok)
            gone = passes or (pred is not None and pred.status == "error" and pred.condition != bug.condition)
            out[i] = (passes, gone, pred)
    return out


def evaluate(generator, judge, samples: list[dict], progress: bool = True) -> tuple[list[dict], dict]:
    """Generate (greedy) for every sample, verify and score; returns (prediction rows, metrics)."""
    from sqlfix.dataset.prompt import render_prompt

    samples = with_categories(samples)
    prompts = [render_prompt(s.get("schema_ddl"), s["bug_sql"], s.get("error_message")) for s in samples]
    candidates = generator.generate(prompts, [s["bug_sql"] for s in samples], progress=progress)
    predictions = [c[0].sql if c else "" for c in candidates]
    checks = verify(judge, samples, predictions)
    rows = []
    for s, cands, prediction, (passes, gone, dry) in zip(samples, candidates, predictions, checks, strict=True):
        metrics = score(s["bug_sql"], s["fixed_sql"], prediction, passes, gone)
        rows.append({
            **{k: s.get(k) for k in ("sample_id", "bug_sql", "fixed_sql", "schema_ddl", "error_message", *GROUPS[:3],
                                     "signal", "source", "database")},
            "prediction": prediction, "raw_answer": cands[0].text if cands else "",
            "logprob": cands[0].logprob if cands else None, "prediction_condition": getattr(dry, "condition", None),
            **metrics,
        })  # fmt: skip
    return rows, summarize(rows)


def summarize(rows: list[dict]) -> dict:
    """Overall metrics and the same per taxonomy level, changed-line bucket, signal, source and database
    (a held-out domain's share is its database's row)."""
    out = {"overall": aggregate(rows)["all"]}
    for group in GROUPS:
        out[f"by_{group}"] = aggregate(rows, by=group)
    return out


def pick(samples: list[dict], limit: int | None) -> list[dict]:
    """``limit`` samples in a fixed hashed order, round-robin over databases and, within a database, over
    categories: every domain (a held-out one too) and as many categories as fit (all samples when no limit)."""
    key = lambda s: hashlib.sha256(str(s["sample_id"]).encode()).hexdigest()  # noqa: E731
    samples = sorted(samples, key=key)
    if not limit or limit >= len(samples):
        return samples
    tree: dict = {}
    for s in samples:
        domain = ",".join(sorted(databases(s.get("bug_sql")))) or "-"
        tree.setdefault(domain, {}).setdefault(s.get("category_l3") or "", []).append(s)
    streams = [_round_robin([cats[c] for c in sorted(cats)]) for _, cats in sorted(tree.items())]
    return _round_robin(streams)[:limit]


def _round_robin(queues: list[list]) -> list:
    """One from each queue in turn until all are empty.

    Example:
        >>> _round_robin([[1, 2, 3], [4], [5, 6]])
        [1, 4, 5, 2, 6, 3]
    """
    queues, out = [list(q) for q in queues], []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out
