"""A seeded platform log (bronze format), its table schemas, and the ground truth (``sqlfix simulate-logs``).

Writes ``OUT/logs/part-*.jsonl`` (or ``.parquet``), ``OUT/schemas.jsonl`` and ``OUT/truth.jsonl``; the
miner never reads the truth. Task scripts come from a pool of ``--variants`` verified scripts; with more
tasks than variants, scripts are reused across users (the same SQL in several tasks).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from sqlfix.progress import progress
from sqlfix.simulate.domains import all_tables
from sqlfix.simulate.sessions import Script, ScriptFactory

START = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
SHARD = 100_000


def simulate(spark, out: Path, events: int, seed: int, variants: int | None = None, fmt: str = "jsonl",
             malformed_rate: float = 0.0, window_hours: float = 24.0, max_changed_ratio: float = 0.5,
             adhoc_share: float = 0.0, noise: bool = False) -> dict:  # fmt: skip
    """Write a simulated log; returns counts (events, tasks, users, truth pairs by outcome).

    ``adhoc_share``: the share of tasks that are short ad-hoc analyst queries (6-20 lines) rather than
    task-level scripts. ``noise``: add transient failures followed by an unrelated edit (the bug side
    passes a dry run) and saved "fixes" that still fail — pairs the miner cannot tell from real ones."""
    rng = random.Random(seed)
    factory = ScriptFactory(spark, window_minutes=window_hours * 60, max_changed_ratio=max_changed_ratio,
                            adhoc_share=adhoc_share, noise=noise)  # fmt: skip
    n_variants = variants or max(1, events // 4)
    # Each script has its own seeded generator, so the pool is the same whatever the thread schedule.
    build = lambda i: factory.script(random.Random(seed * 1_000_003 + i))  # noqa: E731
    pool: list[Script] = []
    with ThreadPoolExecutor(max_workers=4) as threads, progress(n_variants, "task scripts", "script") as bar:
        for script in threads.map(build, range(n_variants)):
            pool.append(script)
            bar.update(1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    for old in (out / "logs").glob("part-*"):
        old.unlink()
    rows: list[dict] = []
    truth: list[dict] = []
    n_tasks = n_users = 0
    while len(rows) < events:
        n_users += 1
        user = f"u{seed}_{n_users:06d}"
        for _ in range(rng.randint(1, 5)):
            script = pool[n_tasks % len(pool)] if n_tasks < len(pool) else rng.choice(pool)
            n_tasks += 1
            task = f"{user}/task_{n_tasks:07d}"
            begin = START + dt.timedelta(minutes=rng.uniform(0, 30 * 24 * 60))
            ids = []
            for step in script.steps:
                ids.append(f"e{seed}-{len(rows):09d}")
                rows.append({
                    "event_id": ids[-1],
                    "event_time": (begin + dt.timedelta(minutes=step.minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "user_id": user, "task_id": task, "action": step.action, "sql_text": step.sql,
                    "status": step.status, "error_message": step.error, "engine": script.engine,
                    "duration_ms": rng.randint(200, 90_000) if step.action == "execute" else None,
                })  # fmt: skip
            for tr in script.truth:
                truth.append({
                    **asdict(tr), "bug_event_id": ids[tr.bug], "fix_event_id": ids[tr.fix] if tr.fix is not None else None,
                    "user_id": user, "task_id": task, "scenario": script.scenario,
                })  # fmt: skip
    malformed = _write_logs(out / "logs", rows, fmt, malformed_rate, rng)
    with (out / "schemas.jsonl").open("w") as fh:
        for table in all_tables():
            captured = (START - dt.timedelta(days=1)).isoformat()
            fh.write(json.dumps({"table_name": table.name, "ddl": table.ddl, "captured_at": captured}) + "\n")
    with (out / "truth.jsonl").open("w") as fh:
        for tr in truth:
            fh.write(json.dumps(tr) + "\n")
    outcomes: dict[str, int] = {}
    for tr in truth:
        outcomes[tr["outcome"]] = outcomes.get(tr["outcome"], 0) + 1
    return {"events": len(rows), "tasks": n_tasks, "users": n_users, "variants": len(pool), "truth": outcomes,
            "malformed": malformed}  # fmt: skip


_MALFORMED = (
    lambda rng: b'{"event_id": "broken-' + str(rng.random()).encode() + b'", "event_time": ',
    lambda rng: json.dumps(
        {
            "event_id": f"x{rng.random()}",
            "event_time": "not a time",
            "user_id": "u",
            "task_id": "t",
            "action": "execute",
            "sql_text": "SELECT 1",
            "status": "success",
        }
    ).encode(),  # fmt: skip
    lambda rng: json.dumps(
        {
            "event_id": f"x{rng.random()}",
            "event_time": "2026-10-02T00:00:00Z",
            "user_id": "u",
            "task_id": "t",
            "action": "delete",
            "sql_text": "SELECT 1",
        }
    ).encode(),  # fmt: skip
    lambda rng: b'{"event_id": "bin-' + str(rng.random()).encode() + b'", "sql_text": "SELECT \xff\xfe"}',
)


def _write_logs(folder: Path, rows: list[dict], fmt: str, malformed_rate: float, rng: random.Random) -> int:
    """Write the rows in shards; with ``malformed_rate``, broken lines among them. Returns how many broken
    lines it wrote (each one a quarantine row once ingested)."""
    malformed = 0
    for start in range(0, len(rows), SHARD):
        chunk = rows[start : start + SHARD]
        path = folder / f"part-{start // SHARD:05d}.{fmt}"
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(chunk), path, compression="zstd")
            continue
        with path.open("wb") as fh:
            for row in chunk:
                fh.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
                if malformed_rate and rng.random() < malformed_rate:
                    fh.write(rng.choice(_MALFORMED)(rng) + b"\n")
                    malformed += 1
    return malformed
