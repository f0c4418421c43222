"""Users working on tasks over time: the scenarios behind a platform's query log.

A *script* is one task's history relative to its start (run, error, edit, save, model suggestions),
with the pairs a correct miner must find (its ground truth). Scripts are built from verified SQL:
every error message is what Spark printed for that SQL (restyled for older engines), and every
successful run's SQL passes Spark's analyzer. Scripts are then placed on users' timelines.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace

from pyspark.sql import SparkSession

from sqlfix.filtering.dryrun import DryRun, analyze
from sqlfix.reference import paper_diff_sizes
from sqlfix.simulate import bugs
from sqlfix.simulate.domains import all_tables
from sqlfix.simulate.queries import compose, compose_adhoc
from sqlfix.simulate.styles import restyle
from sqlfix.sql.diff import changed_lines

ENGINES = {"spark-4.1": 0.55, "spark-3.5": 0.25, "spark-2.4": 0.10, "hive-3": 0.10}
# Relative weights of what happens to a task.
SCENARIOS = {
    "clean": 24, "fix_run": 30, "multi_attempt": 8, "identical_rerun": 5, "fix_save": 8, "rejected_fix": 5,
    "accepted_fix": 4, "abandoned": 5, "rewrite": 3, "meaning_change": 3, "flaky": 2, "late_fix": 3,
}  # fmt: skip
# Noise (``ScriptFactory(noise=True)``): what makes the execution filter and the spot check matter.
NOISE_SCENARIOS = {"transient_edit": 4, "bad_save": 4}
TRANSIENT_MESSAGES = (
    "Query timed out after 3600 seconds (spark.sql.broadcastTimeout / job timeout); the job was cancelled.",
    "[RESOURCE_EXHAUSTED] Quota exceeded for user: concurrent queries limit (20) reached. Retry later.",
    "org.apache.spark.SparkException: Job 41 cancelled because SparkContext was shut down",
)
FLAKY_MESSAGE = (
    "Job aborted due to stage failure: Task 3 in stage 12.0 failed 4 times, most recent failure: Lost task 3.3 in "
    "stage 12.0 (TID 88) (10.0.3.17 executor 5): ExecutorLostFailure (executor 5 exited caused by one of the running "
    "tasks) Reason: Container killed by YARN for exceeding physical memory limits. 9.1 GB of 9 GB physical memory used."
)


def _renumber_ids(message: str) -> str:
    """Expression ids (``#1234``) and CTE ids numbered in order of appearance (deterministic for a seed).

    Example:
        >>> _renumber_ids("Project [a#812L, b#90, a#812L]")
        'Project [a#1L, b#2, a#1L]'
    """
    ids: dict[str, int] = {}
    message = re.sub(r"#(\d+)", lambda m: f"#{ids.setdefault(m.group(1), len(ids) + 1)}", message)
    ctes: dict[str, int] = {}  # CTE ids of the plan dump are global counters too
    return re.sub(
        r"(CTERelation(?:Def|Ref) )(\d+)", lambda m: f"{m.group(1)}{ctes.setdefault(m.group(2), len(ctes))}", message
    )


@dataclass
class Step:
    minutes: float
    action: str
    sql: str
    status: str | None = None
    error: str | None = None


@dataclass
class Truth:
    bug: int  # step index
    fix: int | None
    signal: str
    outcome: str  # kept | dropped
    reason: str | None = None
    changes_meaning: bool = False
    bug_kind: str | None = None
    condition: str | None = None
    message_style: str | None = None
    diff_lines: int | None = None
    noise: str | None = None  # transient (the bug side runs fine) | fix_still_fails (the "fix" fails too)


@dataclass
class Script:
    scenario: str
    engine: str
    steps: list[Step] = field(default_factory=list)
    truth: list[Truth] = field(default_factory=list)


@dataclass
class Bug:
    sql: str
    result: DryRun
    kind: str


class ScriptFactory:
    """Builds verified task scripts; one Spark session, the simulated catalog created in it."""

    def __init__(self, spark: SparkSession, window_minutes: float = 24 * 60, max_changed_ratio: float = 0.5,
                 adhoc_share: float = 0.0, noise: bool = False):  # fmt: skip
        self.spark = spark
        self.adhoc_share = adhoc_share  # share of tasks that are short ad-hoc analyst queries
        self.scenarios = {**SCENARIOS, **(NOISE_SCENARIOS if noise else {})}
        self.window = window_minutes
        self.max_ratio = max_changed_ratio
        self.diff_sizes = paper_diff_sizes()
        self._cache: dict[str, DryRun] = {}
        for db in sorted({t.name.split(".")[0] for t in all_tables()}):
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
        for table in all_tables():
            spark.sql(table.ddl)

    def analyze(self, sql: str) -> DryRun:
        if sql not in self._cache:
            result = analyze(self.spark, sql)
            if result.message:  # plan dumps carry JVM-global expression ids: renumber them per message
                result = replace(result, message=_renumber_ids(result.message))
            self._cache[sql] = result
        return self._cache[sql]

    # -- building blocks ---------------------------------------------------------------------------
    def base(self, rng: random.Random, k: int) -> list[str]:
        size = 6 if k > 12 else (rng.choice((4, 5, 6)) if k > 5 else None)
        adhoc = self.adhoc_share > 0 and rng.random() < self.adhoc_share
        for _ in range(10):
            sql = compose_adhoc(rng) if adhoc else compose(rng, size=size)
            if self.analyze(sql).ok:
                return sql.split("\n")
        raise RuntimeError("query composer produced no valid query in 10 tries")

    def bug(self, rng: random.Random, lines: list[str], k: int = 1) -> Bug | None:
        """A failing version of ``lines`` that differs from it in about ``k`` lines."""
        names = list(bugs.MUTATORS)
        for _ in range(12):
            kind = rng.choices(names, weights=[bugs.WEIGHTS[n] for n in names])[0]
            mutated = bugs.MUTATORS[kind](lines, rng)
            if mutated is None:
                continue
            out, idx = mutated
            touched = {idx}
            for _ in range(max(0, min(k, int(len(lines) * self.max_ratio)) - 1)):
                edit = bugs.companion_edit(out, rng, touched)
                if edit is None:
                    break
                out, j = edit
                touched.add(j)
            sql = "\n".join(out)
            result = self.analyze(sql)
            if not result.ok:
                return Bug(sql, result, kind)
        return None

    def _gap(self, rng: random.Random) -> float:
        return round(rng.uniform(0.3, 12.0), 2)

    # -- scenarios ---------------------------------------------------------------------------------
    def script(self, rng: random.Random) -> Script:
        scenario = rng.choices(list(self.scenarios), weights=list(self.scenarios.values()))[0]
        engine = rng.choices(list(ENGINES), weights=list(ENGINES.values()))[0]
        k = rng.choice(self.diff_sizes)
        lines = self.base(rng, k)
        fix = "\n".join(lines)
        s = Script(scenario, engine)
        t = 0.0

        def add(action: str, sql: str, status: str | None = None, error: str | None = None) -> int:
            nonlocal t
            t += self._gap(rng)
            s.steps.append(Step(round(t, 2), action, sql, status, error))
            return len(s.steps) - 1

        def fail(bug: Bug) -> tuple[int, str]:
            message, style = restyle(bug.result, engine)
            return add("execute", bug.sql, "error", message), style

        def truth(i: int, j: int | None, signal: str, bug: Bug, style: str, outcome="kept", reason=None, **kw):
            fixed = s.steps[j].sql if j is not None else None
            diff = changed_lines(bug.sql, fixed) if fixed is not None else None
            longest = max(len(bug.sql.split("\n")), len(fixed.split("\n"))) if fixed is not None else 1
            if outcome == "kept" and diff is not None and diff / longest > self.max_ratio:
                outcome, reason = "dropped", "diff_too_large"
            s.truth.append(Truth(i, j, signal, outcome, reason, bug_kind=bug.kind, condition=bug.result.condition,
                                 message_style=style, diff_lines=diff, **kw))  # fmt: skip

        if rng.random() < 0.5:  # the task ran (or was saved) fine before this edit
            if rng.random() < 0.2:
                add("save", fix)
            else:
                add("execute", fix, "success")
        if scenario == "clean":
            for _ in range(rng.randint(1, 3)):
                add("execute", fix, "success")
            return s
        b = self.bug(rng, lines, k)
        if b is None:  # no mutation applied to this query: it stays a clean task
            s.scenario = "clean"
            add("execute", fix, "success")
            return s
        if scenario == "transient_edit":  # fails for the platform's reasons, then a small unrelated edit runs
            i = add("execute", fix, "error", rng.choice(TRANSIENT_MESSAGES))
            edited = _trivial_edit(lines, rng)
            j = add("execute", edited, "success")
            s.truth.append(Truth(i, j, "run", "kept", bug_kind="transient", message_style="runtime",
                                 diff_lines=changed_lines(fix, edited), noise="transient"))  # fmt: skip
            return s
        if scenario == "bad_save":  # the "fix" the user saved still fails (another mistake)
            b2 = self.bug(rng, lines, 1)
            if b2 is not None and b2.sql != b.sql:
                i, style = fail(b)
                truth(i, add("save", b2.sql), "save", b, style, noise="fix_still_fails")
                return s
            scenario = "fix_run"
        if scenario == "flaky":
            i = add("execute", fix, "error", FLAKY_MESSAGE)
            j = add("execute", fix, "success")
            s.truth.append(
                Truth(i, j, "run", "dropped", "no_change", bug_kind="flaky", message_style="runtime", diff_lines=0)
            )
            return s
        i, style = fail(b)
        if scenario == "identical_rerun":
            i, style = fail(b)  # the same SQL again: the two collapse into one pair
        if scenario == "multi_attempt":
            b2 = self.bug(rng, lines, rng.choice(self.diff_sizes))
            if b2 is not None and b2.sql != b.sql:
                j = add("execute", b2.sql, "error", restyle(b2.result, engine)[0])
                style2 = restyle(b2.result, engine)[1]
                ok = add("execute", fix, "success")
                truth(i, ok, "run", b, style)
                truth(j, ok, "run", b2, style2)
                return s
        if scenario in ("fix_run", "identical_rerun", "multi_attempt"):
            truth(i, add("execute", fix, "success"), "run", b, style)
        elif scenario == "fix_save":
            if rng.random() < 0.4:
                add("save", b.sql)  # saved before fixing: the last save is the fix
            truth(i, add("save", fix), "save", b, style)
            if rng.random() < 0.3:  # the next execution fails on a new mistake, fixed only after the window
                b3 = self.bug(rng, lines, rng.choice(self.diff_sizes))
                if b3 is not None:
                    t += self.window + 60
                    j, style3 = fail(b3)
                    t += self.window + 60
                    truth(j, add("execute", fix, "success"), "run", b3, style3, outcome="none", reason="outside_window")
        elif scenario in ("rejected_fix", "accepted_fix"):
            wrong = bugs.companion_edit(b.sql.split("\n"), rng, set())
            suggestion = fix if scenario == "accepted_fix" else ("\n".join(wrong[0]) if wrong else b.sql)
            add("fix_suggested", suggestion)
            add("fix_accepted" if scenario == "accepted_fix" else "fix_rejected", suggestion)
            ok = add("execute", fix, "success")
            if scenario == "accepted_fix":
                truth(i, ok, "run", b, style, outcome="dropped", reason="model_fix_accepted")
            else:
                truth(i, ok, "rejected_fix", b, style)
        elif scenario == "abandoned":
            pass
        elif scenario == "late_fix":
            t += self.window + rng.uniform(60, 600)
            truth(i, add("execute", fix, "success"), "run", b, style, outcome="none", reason="outside_window")
        elif scenario == "rewrite":
            other = compose(rng)
            if not self.analyze(other).ok:
                other = fix
            truth(i, add("execute", other, "success"), "run", b, style)
        elif scenario == "meaning_change":
            changed = b.sql.split("\n")
            idx = next((n for n, (x, y) in enumerate(zip(changed, lines, strict=False)) if x != y), None)
            alt = bugs.meaning_change(changed, idx) if idx is not None else None
            alt_sql = "\n".join(alt) if alt else None
            if alt_sql and self.analyze(alt_sql).ok:
                truth(i, add("execute", alt_sql, "success"), "run", b, style, changes_meaning=True)
            else:
                truth(i, add("execute", fix, "success"), "run", b, style)
        return s


def _trivial_edit(lines: list[str], rng: random.Random) -> str:
    """The query with one edit that changes nothing Spark would object to: a LIMIT, or a comment line."""
    out = list(lines)
    limits = [i for i, line in enumerate(out) if re.fullmatch(r"LIMIT \d+", line.strip())]
    if limits and rng.random() < 0.6:
        i = rng.choice(limits)
        out[i] = f"LIMIT {rng.choice((5, 15, 25, 200))}"
    else:
        out.insert(0, f"-- rerun {rng.randrange(1, 99)}")
    return "\n".join(out)
