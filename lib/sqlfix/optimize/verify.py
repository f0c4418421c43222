"""Verification of a rewrite on Spark, in tiers so that most candidates cost little.

1. ``allowlist``: both queries may be model output (a policy's rewrite, the LLM junior developer's slow
   query): each passes the read-only screen (``filtering.readonly``) over the instance's views before
   anything runs;
2. ``analyze``: Spark parses and analyses it;
3. ``small``: the same result as the slow query on the small instance (``compare.same_result``);
4. ``instances``: the same on every other instance (a rewrite equal on one and different on another is
   recorded: the false positive a single-instance check lets through); a slow query with no rows on any
   instance verifies nothing (``WHERE key IS NULL`` would equal it) and is refused here;
5. ``cost``: on the large instance, the median wall time of ``repeats`` runs of each side and Spark's own
   metrics of one run (stages, input rows and bytes, shuffle bytes) from its status store.

Every instance runs in a hardened session of its own whose views are that instance's tables.
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass, field

from sqlfix.errors import SqlfixError
from sqlfix.filtering.readonly import read_only_refusal
from sqlfix.optimize.compare import orders_and_limits, same_result
from sqlfix.spark import Bounded, DeadlineExceeded


class TooManyRows(SqlfixError, ValueError):
    """A result over the verifier's ``max_rows``: compared on a smaller instance, or not at all."""


# The tier a check stopped in, from the last tier it finished (``seconds_by_tier`` keeps the finished ones).
_AFTER = {"instances": "cost", "small": "instances", "analyze": "small", "allowlist": "analyze"}


@dataclass
class Check:
    tier: str  # the last tier reached: passed means every tier passed
    passed: bool
    reason: str = ""
    speedup: float | None = None
    slow_seconds: float | None = None
    fast_seconds: float | None = None
    slow_metrics: dict = field(default_factory=dict)
    fast_metrics: dict = field(default_factory=dict)
    differs_on: list[str] = field(default_factory=list)  # instances where the results differ
    seconds_by_tier: dict = field(default_factory=dict)


def stage_metrics(spark, group: str) -> dict:
    """Spark's metrics of the jobs run under job group ``group``: stages, input rows and bytes, shuffle bytes."""
    sc = spark.sparkContext
    tracker = sc.statusTracker()
    stages = sorted({s for j in tracker.getJobIdsForGroup(group) for s in (tracker.getJobInfo(j).stageIds or [])})
    store = sc._jsc.sc().statusStore()  # noqa: SLF001 - the status store is where Spark keeps stage metrics
    out = {"stages": len(stages), "input_rows": 0, "input_bytes": 0, "shuffle_read_bytes": 0, "shuffle_write_bytes": 0}
    for stage in stages:
        try:
            data = store.stageAttempt(stage, 0, False, None, False, None)._1()
        except Exception:  # noqa: BLE001 - a stage skipped by adaptive execution has no record
            continue
        out["input_rows"] += int(data.inputRecords())
        out["input_bytes"] += int(data.inputBytes())
        out["shuffle_read_bytes"] += int(data.shuffleReadBytes())
        out["shuffle_write_bytes"] += int(data.shuffleWriteBytes())
    return out


class Verifier:
    """Tiered checks of (slow, fast) pairs over instance sessions (``{name: session}``; the first is the small
    instance, ``large`` names the one costs are measured on)."""

    def __init__(self, sessions: dict, large: str, views: set[str], repeats: int = 3, max_rows: int = 200_000,
                 timeout_s: float = 300.0):  # fmt: skip
        self.sessions, self.large, self.views = sessions, large, views
        self.small = next(iter(sessions))
        self.repeats, self.max_rows, self.timeout_s = int(repeats), int(max_rows), float(timeout_s)
        self._bounded = Bounded(sessions[self.small], workers=1, name="sqlfix-verify")
        self._rows: dict[tuple[str, str], list] = {}
        self._cost: dict[str, tuple[float, dict]] = {}

    def rows(self, instance: str, sql: str, keep: bool = False) -> list[tuple]:
        """The result of ``sql`` on ``instance`` (at most ``max_rows``); ``keep``: cache it (the slow query's
        result is compared with every candidate's; a candidate's is read once)."""
        key = (instance, sql)
        if key in self._rows:
            return self._rows[key]
        session = self.sessions[instance]
        got = self._bounded.run(lambda: session.sql(sql).limit(self.max_rows + 1).collect(), self.timeout_s,
                                f"a query on {instance}")  # fmt: skip
        if len(got) > self.max_rows:
            raise TooManyRows(f"more than {self.max_rows} rows on {instance}: compare on a smaller instance")
        out = [tuple(r) for r in got]
        if keep:
            self._rows[key] = out
        return out

    def cost(self, sql: str) -> tuple[float, dict]:
        """(median seconds, metrics of the first run) of ``sql`` on the large instance (cached per text)."""
        if sql not in self._cost:
            session = self.sessions[self.large]
            times, metrics = [], {}
            for i in range(self.repeats):
                group = f"sqlfix-opt-{uuid.uuid4().hex}"

                def timed() -> float:
                    t0 = time.perf_counter()
                    session.sql(sql).write.format("noop").mode("overwrite").save()
                    return time.perf_counter() - t0

                # under the worker's job group ``group``: cancelled at the deadline, its metrics read below
                times.append(self._bounded.run(timed, self.timeout_s, f"a timed run on {self.large}", group=group))
                if i == 0:
                    metrics = stage_metrics(session, group)
            self._cost[sql] = (statistics.median(times), metrics)
        return self._cost[sql]

    def check(self, slow_sql: str, fast_sql: str, measure: bool = True) -> Check:
        """The tiers in order; a query past ``timeout_s`` (its jobs cancelled) or a result over ``max_rows``
        fails the check at the tier it stopped in, with that as the reason (never an exception)."""
        spent: dict[str, float] = {}
        try:
            return self._check(slow_sql, fast_sql, measure, spent)
        except (DeadlineExceeded, TooManyRows) as exc:
            tier = next((t for t in _AFTER if t in spent), "analyze")
            return Check(_AFTER[tier], False, str(exc)[:300], seconds_by_tier=spent)

    def _check(self, slow_sql: str, fast_sql: str, measure: bool, spent: dict) -> Check:
        t = time.perf_counter()

        def lap(tier: str) -> None:
            nonlocal t
            spent[tier] = round(spent.get(tier, 0.0) + time.perf_counter() - t, 4)
            t = time.perf_counter()

        for side, sql in (("slow", slow_sql), ("rewrite", fast_sql)):
            refusal = read_only_refusal(self.sessions[self.small], sql, self.views)
            if refusal is not None:
                lap("allowlist")
                return Check("allowlist", False, f"{side}: {refusal[0]}: {refusal[1]}"[:300], seconds_by_tier=spent)
        lap("allowlist")
        try:
            self._bounded.run(lambda: self.sessions[self.small].sql(fast_sql), self.timeout_s, "the analysis")
        except Exception as exc:  # noqa: BLE001 - Spark's analysis error is the verdict
            lap("analyze")
            return Check("analyze", False, str(exc).strip().splitlines()[0][:300], seconds_by_tier=spent)
        lap("analyze")
        ordered = orders_and_limits(slow_sql)
        equal, why = same_result(self.rows(self.small, slow_sql, keep=True), self.rows(self.small, fast_sql), ordered)
        lap("small")
        if not equal:
            return Check("small", False, f"different result on {self.small}: {why}", seconds_by_tier=spent)
        differs = [name for name in list(self.sessions)[1:]
                   if not same_result(self.rows(name, slow_sql, keep=True), self.rows(name, fast_sql), ordered)[0]]  # fmt: skip
        lap("instances")
        if differs:
            return Check("instances", False, f"equal on {self.small}, different on {', '.join(differs)}",
                         differs_on=differs, seconds_by_tier=spent)  # fmt: skip
        if not any(self.rows(name, slow_sql, keep=True) for name in self.sessions):
            return Check("instances", False, "the slow query returns no rows on any instance: equal empty "
                         "results prove nothing", seconds_by_tier=spent)  # fmt: skip
        if not measure:
            return Check("instances", True, seconds_by_tier=spent)
        slow_s, slow_m = self.cost(slow_sql)
        fast_s, fast_m = self.cost(fast_sql)
        lap("cost")
        return Check("cost", True, "", slow_s / fast_s if fast_s > 0 else None, slow_s, fast_s, slow_m, fast_m,
                     seconds_by_tier=spent)  # fmt: skip
