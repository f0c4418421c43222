"""The verdict on a pair, and the parallel runner that judges many.

A pair is ``kept`` only if the bug side fails, the fixed side passes, and the fix does nothing its bug did
not (``policy.kind_changed``: a SELECT "fixed" by a DROP, an INSERT or a CTAS is no fix). Otherwise it is
dropped with the first reason that applies: ``refused`` (either side tried something the sandbox does not
allow), ``too_complex`` or ``timeout`` (either side), ``unchecked`` (a runtime bug whose tables could not
take the sandbox's edge rows), ``bug_passes``, ``fix_fails``,
``statement_kind_changed``.

The runner analyses on the driver's threads (Spark's analyzer is thread-safe; multi-statement scripts
get their own sessions), checks each side under a wall-clock bound, and remembers what it has seen: the
same SQL in the same sandbox is analysed once, the same (bug, fix) is judged once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlfix.filtering.dryrun import DryRun
from sqlfix.filtering.policy import kind_changed
from sqlfix.filtering.sandbox import Sandbox, SandboxError
from sqlfix.filtering.script import check_script
from sqlfix.spark import Bounded, DeadlineExceeded
from sqlfix.taxonomy.classify import classify
from sqlfix.taxonomy.model import Taxonomy, load_taxonomy

STOPPERS = ("refused", "too_complex", "timeout", "unchecked")  # unchecked: no edge rows to run on


@dataclass(frozen=True)
class Verdict:
    verdict: str  # kept | dropped
    reason: str
    bug: DryRun
    fix: DryRun | None
    dryrun_category_l3: str | None
    runtime_checked: bool

    def fields(self, logged_category_l3: str | None = None) -> dict:
        """The verdict as ``pair_verdicts`` columns (pair_id and bookkeeping aside)."""
        agrees = None
        if logged_category_l3 and self.dryrun_category_l3:
            agrees = logged_category_l3 == self.dryrun_category_l3
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "bug_status": self.bug.status,
            "bug_condition": self.bug.condition,
            "bug_message": self.bug.message,
            "bug_stage": self.bug.stage,
            "dryrun_category_l3": self.dryrun_category_l3,
            "logged_category_l3": logged_category_l3,
            "category_agrees": agrees,
            "fix_status": self.fix.status if self.fix else None,
            "fix_condition": self.fix.condition if self.fix else None,
            "fix_message": self.fix.message if self.fix else None,
            "runtime_checked": self.runtime_checked,
        }


def decide(bug: DryRun, fix: DryRun | None) -> tuple[str, str]:
    """(verdict, reason) from the two sides.

    Example:
        >>> decide(DryRun("error", "UNRESOLVED_COLUMN"), DryRun("ok"))
        ('kept', 'kept')
        >>> decide(DryRun("ok"), None)
        ('dropped', 'bug_passes')
        >>> decide(DryRun("error"), DryRun("refused", "add_jar"))
        ('dropped', 'refused')
        >>> decide(DryRun("error", kinds=("query",)), DryRun("ok", kinds=("drop",)))
        ('dropped', 'statement_kind_changed')
    """
    for stopper in STOPPERS:
        if bug.status == stopper or (fix is not None and fix.status == stopper):
            return "dropped", stopper
    if bug.ok:
        return "dropped", "bug_passes"
    if fix is None or not fix.ok:
        return "dropped", "fix_fails"
    if kind_changed(bug.kinds, fix.kinds):
        return "dropped", "statement_kind_changed"
    return "kept", "kept"


@dataclass
class Judge:
    """Judges pairs against one sandbox. ``runtime``: run the bug sides of categories that fail only on rows
    (``Taxonomy.on_rows``) on the sandbox's rows."""

    box: Sandbox
    threads: int = 4
    timeout_s: float = 30.0
    max_chars: int = 200_000
    max_depth: int = 200
    runtime: bool = True
    taxonomy: Taxonomy = field(default_factory=load_taxonomy, repr=False)
    _sides: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pool: Bounded | None = field(default=None, repr=False)

    def _bounded(self, fn) -> DryRun:
        """``fn()`` on the sandbox's bounded workers (``spark.Bounded``); past ``timeout_s`` its Spark jobs are
        cancelled and the answer is ``timeout``. An analysis that cannot be interrupted finishes in the
        background on a retired daemon worker: a hung statement never delays the next one, nor the exit."""
        with self._lock:
            if self._pool is None:
                self._pool = Bounded(self.box.spark, workers=self.threads, name="sqlfix-side")
            pool = self._pool
        try:
            return pool.run(lambda: _guarded(fn), self.timeout_s, "a dry run")
        except DeadlineExceeded:
            return DryRun("timeout", message=f"no answer within {self.timeout_s:g}s")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def side(self, sql: str, runtime: bool = False) -> DryRun:
        """One side, cached per (sandbox state, SQL, runtime), bounded by ``timeout_s`` of wall time."""
        key = (self.box.fingerprint(), sql, runtime)
        with self._lock:
            if key in self._sides:
                return self._sides[key]
        result = self._bounded(
            lambda: check_script(
                self.box, sql, max_chars=self.max_chars, max_depth=self.max_depth, runtime=runtime,
                runtime_timeout_s=self.timeout_s,
            )
        )  # fmt: skip
        with self._lock:
            self._sides[key] = result
        return result

    def pair(self, bug_sql: str, fixed_sql: str, category_l1: str | None = None,
             category_l3: str | None = None) -> Verdict:  # fmt: skip
        """Judge one pair; a bug whose logged (or targeted) category fails only on rows (``Taxonomy.on_rows``)
        is run on the sandbox's rows, any other only analysed."""
        runtime = self.runtime and self.taxonomy.on_rows(category_l1, category_l3)
        if runtime:
            try:  # outside the bound: filling is the sandbox's cost, not the SQL's
                self.box.fill_referenced(bug_sql)
            except SandboxError as exc:  # no rows to run on: the runtime bug cannot be shown to fail
                bug = DryRun("unchecked", "EDGE_ROWS_FAILED", message=str(exc), stage="runtime")
                return Verdict("dropped", "unchecked", bug, None, None, True)
        bug = self.side(bug_sql, runtime=runtime)
        fix = None
        if not bug.ok and bug.status not in STOPPERS:
            fix = self.side(fixed_sql)
        verdict, reason = decide(bug, fix)
        category = (
            classify(bug.message, bug_sql, self.taxonomy).category_l3 if bug.message and bug.status == "error" else None
        )
        return Verdict(verdict, reason, bug, fix, category, runtime)

    def many(self, pairs: Iterable[dict], progress=None) -> list[Verdict]:
        """Judge ``pairs`` (dicts with bug_sql, fixed_sql, optional category_l1 and category_l3) on
        ``threads`` threads."""
        pairs = list(pairs)
        seen: dict[tuple, int] = {}
        unique = []
        for p in pairs:
            key = _key(p)
            if key not in seen:
                seen[key] = len(unique)
                unique.append(p)

        def one(p: dict) -> Verdict:
            result = self.pair(p["bug_sql"], p["fixed_sql"], p.get("category_l1"), p.get("category_l3"))
            if progress is not None:
                progress.update(1)
            return result

        with ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="sqlfix-filter") as pool:
            verdicts = list(pool.map(one, unique))
        if progress is not None:
            progress.update(len(pairs) - len(unique))
        return [verdicts[seen[_key(p)]] for p in pairs]


def _key(p: dict) -> tuple:
    return p["bug_sql"], p["fixed_sql"], p.get("category_l1"), p.get("category_l3")


def _guarded(fn) -> DryRun:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - an unexpected failure is a verdict, not a crashed job
        return DryRun("error", "INTERNAL_ERROR", message=f"{type(exc).__name__}: {str(exc)[:300]}")


def judge_from_config(spark, cfg: dict) -> Judge:
    """The Judge the ``filter:`` settings describe, on a new sandbox (the filter, evaluation and fix share it)."""
    fcfg = cfg["filter"]
    return Judge(
        Sandbox(spark),
        threads=int(fcfg["threads"]),
        timeout_s=float(fcfg["timeout_s"]),
        max_chars=int(fcfg["max_sql_chars"]),
        max_depth=int(fcfg["max_nesting"]),
        runtime=bool(fcfg["runtime_check"]),
    )
