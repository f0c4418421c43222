"""Verified repair: every candidate fix is dry-run by the analyzer before it is shown.

``Fixer.fix(sql, schema, error)``:
1. The schema's tables become the sandbox's empty tables; the SQL is dry-run (never executed). Hostile SQL
   gets the filter's refusals and no fix. Without an ``error``, Spark's own error is the one to fix; SQL
   that already passes has nothing to fix.
2. Deterministic repairs (``repair.rules``) propose candidates from Spark's error; each is verified.
3. When no repair passes and a model is loaded: its greedy answer, then ``samples`` sampled answers; a
   candidate that still fails is fed back with its new error for up to ``rounds`` rounds; all within
   ``budget_s`` seconds of model time per query. The model always reads the whole query; for a query of
   ``local_min_lines`` lines or more whose error names a line, it writes only the lines around it
   (``inference.resume``: the answer begins with the query's lines up to ``local_lines_before`` above the
   error and stops where it rejoins the query below it); otherwise it writes the whole query again.
4. Ranking (``repair.ranking``): among the candidates that pass analysis, the fewest token edits, then the
   fewest character edits inside them, a name the written one extends, the likelier slip (a closing bracket,
   then a deletion), then the source's preference (a rule's own order; a model answer's likelihood). The
   result names its source and carries a
   ``confidence`` (high / medium / low) with the one-line reason.

``Fixer.fix_many`` does the same for many queries with one generation call per model phase (greedy,
samples, each feedback round) for all the queries still without a fix: a batched pass on one machine, or
one Spark job with ``inference.spark.SparkGenerator``.

A candidate is verified when it passes Spark's parser and analyzer against the schema and does not do
something the input did not (``policy.kind_changed``: no failing SELECT is "fixed" by a DROP).
"""

from __future__ import annotations

import difflib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlfix.config import filled
from sqlfix.dataset.prompt import render_prompt
from sqlfix.filtering.dryrun import DryRun
from sqlfix.filtering.judge import STOPPERS, Judge
from sqlfix.filtering.policy import kind_changed
from sqlfix.inference.resume import Resume, resume_at
from sqlfix.repair.ranking import assess, at_least, evidence, rank_key
from sqlfix.repair.rules import RepairInput, error_position, propose
from sqlfix.sql.diff import changed_lines, sql_tokens

EXIT_FIXED, EXIT_NO_FIX = 0, 3


@dataclass(frozen=True)
class Candidate:
    sql: str
    source: str  # a rule's name, model, model-sample or model-round-N
    verified: bool
    changed_lines: int
    preference: float  # lower is preferred among equals
    error: DryRun | None = None


@dataclass
class FixResult:
    """The outcome of one ``fix``: the best verified candidate (or none), with its evidence."""

    sql: str
    fixed_sql: str | None
    source: str | None
    verified: bool
    error: DryRun | None  # the input's own dry-run error
    last_error: DryRun | None = None  # the best failing candidate's error, when no fix was verified
    candidates: list[Candidate] = field(default_factory=list)
    seconds: float = 0.0
    verify_seconds: float = 0.0
    note: str = ""
    confidence: str | None = None  # of a verified fix (repair.ranking): high, medium or low
    reason: str = ""  # why that confidence, in one line

    def applies(self, min_confidence: str) -> bool:
        """A verified fix whose confidence reaches ``min_confidence`` (or the input, which needed none)."""
        return self.verified and (self.source == "unchanged" or at_least(self.confidence, min_confidence))

    @property
    def exit_code(self) -> int:
        return EXIT_FIXED if self.verified else EXIT_NO_FIX

    @property
    def diff(self) -> str:
        """A unified diff from the input to the fix ('' when there is none)."""
        if self.fixed_sql is None:
            return ""
        return "".join(difflib.unified_diff(_lines(self.sql), _lines(self.fixed_sql), "query.sql", "fixed.sql"))

    def as_dict(self) -> dict:
        return {
            "fixed_sql": self.fixed_sql, "verified": self.verified, "source": self.source, "diff": self.diff,
            "changed_lines": changed_lines(self.sql, self.fixed_sql) if self.fixed_sql is not None else None,
            "error_condition": self.error.condition if self.error else None,
            "error_message": self.error.message if self.error else None,
            "last_error": self.last_error.message if self.last_error else None,
            "candidates_tried": len(self.candidates), "seconds": round(self.seconds, 3),
            "verify_seconds": round(self.verify_seconds, 3), "note": self.note,
            "confidence": self.confidence, "reason": self.reason,
        }  # fmt: skip


def _lines(text: str) -> list[str]:
    return [line + "\n" for line in text.rstrip("\n").split("\n")]


class Fixer:
    """Fix SQL against a schema with deterministic repairs and (optionally) a model, verifying each
    candidate in ``judge``'s sandbox."""

    def __init__(self, judge: Judge, generator=None, samples: int | None = None, rounds: int | None = None,
                 temperature: float | None = None, use_rules: bool = True, use_model: bool = True,
                 budget_s: float | None = None, local_min_lines: int | None = None,
                 local_lines_before: int | None = None):  # fmt: skip
        """``samples``, ``rounds``, ``temperature``, ``budget_s`` (model seconds per query), ``local_min_lines``
        and ``local_lines_before`` (localised answers): the ``fix`` settings (``None``: the profile's default)."""
        settings = filled({"samples": samples, "rounds": rounds, "temperature": temperature, "budget_s": budget_s,
                           "local_min_lines": local_min_lines, "local_lines_before": local_lines_before}, "fix")  # fmt: skip
        self.local_min_lines, self.local_before = int(settings["local_min_lines"]), int(settings["local_lines_before"])
        self.judge = judge
        self.generator = generator
        self.samples = int(settings["samples"])
        self.rounds = int(settings["rounds"])
        self.temperature = float(settings["temperature"])
        self.budget_s = float(settings["budget_s"])
        self.use_rules = use_rules
        self.use_model = use_model and generator is not None
        self._functions: frozenset[str] | None = None
        self._verify_seconds = 0.0
        self._loaded: tuple[str | None, list[str]] | None = None  # the schema the sandbox holds, its problems

    @classmethod
    def from_config(cls, judge: Judge, generator, fix_cfg: dict, **overrides) -> Fixer:
        """The Fixer a config's ``fix`` section describes (``overrides`` win: the demo's own samples)."""
        keys = ("samples", "rounds", "temperature", "budget_s", "local_min_lines", "local_lines_before")
        return cls(judge, generator, **{**{k: fix_cfg[k] for k in keys}, **overrides})

    @property
    def functions(self) -> frozenset[str]:
        if self._functions is None:
            rows = self.judge.box.shared.sql("SHOW FUNCTIONS").collect()
            self._functions = frozenset(r[0] for r in rows if r[0].replace("_", "a").isalnum())
        return self._functions

    def _tables(self) -> dict[str, tuple[str, ...]]:
        box = self.judge.box
        return {name: tuple(f.name for f in box.spark.table(name).schema.fields) for name in box.tables}

    def verify(self, sql: str, candidates: list[tuple[str, str, float]], kinds: tuple[str, ...]) -> list[Candidate]:
        """Dry-run each (source, sql, preference) candidate; returns them as ``Candidate``s."""
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, self.judge.threads)) as pool:
            results = list(pool.map(lambda c: self.judge.side(c[1]), candidates))
        self._verify_seconds += time.perf_counter() - started
        out = []
        for (source, text, preference), dry in zip(candidates, results, strict=True):
            ok = dry.ok and not kind_changed(kinds, dry.kinds)
            out.append(Candidate(text, source, ok, changed_lines(sql, text), preference, None if ok else dry))
        return out

    def fix(self, sql: str, schema: str | None = None, error: str | None = None) -> FixResult:
        return self.fix_many([(sql, schema, error)])[0]

    def fix_many(self, items: list[tuple[str, str | None, str | None]], progress: bool = False) -> list[FixResult]:
        """Fix many (sql, schema, error) at once: the repairs query by query, then each model phase (greedy,
        samples, every feedback round) as one generation call for every query still without a fix — one
        batched pass, or one Spark job with a ``SparkGenerator``. ``progress``: a bar on a terminal, lines in
        a log (queries repaired, rate), and a line per model phase."""
        from sqlfix.progress import progress as bar_for

        jobs = []
        with bar_for(len(items), "fix: repairs", "query", disable=not progress) as bar:
            for sql, schema, error in items:
                jobs.append(self._start_safely(sql, schema, error))
                bar.update(1)
        pending = [j for j in jobs if j.open and not j.fixed]  # a verified repair needs no model
        if progress:
            print(f"fix: {sum(j.fixed for j in jobs)} of {len(jobs)} fixed by repairs; "
                  f"{len(pending) if self.use_model else 0} to the model", flush=True)  # fmt: skip
        if self.use_model and pending:
            self._model_phase(pending, [("model", 1, 0.0)], progress=progress)
            if self.samples > 0:
                self._model_phase([j for j in pending if not j.fixed], [("model-sample", self.samples, self.temperature)],
                                  progress=progress)  # fmt: skip
            for round_ in range(1, self.rounds + 1):
                todo = [j for j in pending if not j.fixed and j.feedback() is not None]
                if not todo:
                    break
                self._model_phase(todo, [(f"model-round-{round_}", 1, 0.0)], feedback=True, progress=progress)
        return [self._finish(j) for j in jobs]

    def _load(self, schema: str | None) -> list[str]:
        """Make ``schema``'s tables the sandbox's only ones (a query is never verified against the tables of
        another query's schema: another caller's, in a served model); returns the DDL's problems."""
        if self._loaded is not None and self._loaded[0] == schema:
            return self._loaded[1]
        box = self.judge.box
        box.reset()
        problems = box.load(schema) if schema else []
        self._loaded = (schema, problems)
        return problems

    def _start_safely(self, sql, schema, error) -> _Job:
        """``_start``, where an input that cannot be read (a non-string field, a schema that fails to load)
        gives that query an error result, never the whole batch."""
        started = time.perf_counter()
        try:
            if not isinstance(sql, str) or not all(v is None or isinstance(v, str) for v in (schema, error)):
                raise ValueError("sql must be a string, and schema and error strings or empty")
            return self._start(sql, schema, error)
        except Exception as exc:  # noqa: BLE001 - one bad input is that input's error
            self._loaded = None
            text = sql if isinstance(sql, str) else ""
            job = _Job(text, None, None, started)
            message = f"{type(exc).__name__}: {str(exc)[:300]}"
            job.result = FixResult(text, None, None, False, DryRun("error", "INVALID_INPUT", message=message),
                                   note=f"not fixed: {message}")  # fmt: skip
            return job

    def _start(self, sql: str, schema: str | None, error: str | None) -> _Job:
        job = _Job(sql, schema, error, time.perf_counter())
        verify_before = self._verify_seconds
        problems = self._load(schema)
        dry = self.judge.side(sql)
        job.result = FixResult(sql, None, None, False, dry)
        if problems:
            job.result.note = "; ".join(problems)
        if dry.status in STOPPERS:
            job.result.note = f"{dry.status}: {dry.message or dry.condition}"
        elif dry.ok and not error:
            job.result.fixed_sql, job.result.source, job.result.verified = sql, "unchanged", True
            job.result.note = "the SQL passes Spark's parser and analyzer against the schema: nothing to fix"
        else:
            if self.use_rules and not dry.ok:
                inp = RepairInput(sql, dry, self._tables(), self.functions)
                proposals = [(name, text, float(k)) for k, (name, text) in enumerate(propose(inp))]
                job.tried += self.verify(sql, proposals, dry.kinds)
            job.open = True
        job.verify_seconds += self._verify_seconds - verify_before
        job.seconds += time.perf_counter() - job.started
        return job

    def _resume(self, sql: str, *messages: str | None) -> Resume | None:
        """Where a long query's answer begins and may rejoin it: at the line the first of ``messages`` with
        a position names (``None``: a short query, or no line named; the model writes the whole query)."""
        if sql.count("\n") + 1 < self.local_min_lines:
            return None
        pos = next((p for p in map(error_position, messages) if p is not None), None)
        return resume_at(sql, pos[0] if pos else None, self.local_before)

    def _model_phase(self, jobs: list[_Job], phases: list[tuple[str, int, float]], feedback: bool = False,
                     progress: bool = False) -> None:  # fmt: skip
        """One generation call for ``jobs`` (their own prompt, or their closest failing candidate with its
        error when ``feedback``; a long query's answer resumed at its error, ``_resume``), then each job's
        new candidates verified against its schema. A greedy answer that was resumed is ``model-local``."""
        for job in jobs:
            if job.seconds >= self.budget_s and not job.out_of_time:
                job.out_of_time = True
                spent = f"the model stopped: the time budget of {self.budget_s:g}s per query was spent"
                job.result.note = "; ".join(filter(None, [job.result.note, spent]))
        jobs = [j for j in jobs if not j.out_of_time]
        if not jobs:
            return
        for source, n, temperature in phases:
            asks = []
            for job in jobs:
                if feedback:
                    worst = job.feedback()
                    shown, said = worst.sql, worst.error.message or ""
                    asks.append((job, render_prompt(job.schema, shown, said), shown, self._resume(shown, said)))
                else:
                    dry = job.result.error.message
                    shown, said = job.sql, job.error or dry or ""
                    asks.append((job, render_prompt(job.schema, shown, said), shown, self._resume(shown, dry, job.error)))
            started = time.perf_counter()
            left = [max(0.0, self.budget_s - job.seconds) for job, _, _, _ in asks]  # each query's own budget
            local = sum(a[3] is not None for a in asks)
            if progress:
                print(f"fix: {source}: {len(asks)} queries ({local} local), at most {max(left):.0f}s each", flush=True)
            answers = self.generator.generate([a[1] for a in asks], [a[2] for a in asks], n=n, temperature=temperature,
                                              progress=False, max_time=left, resume=[a[3] for a in asks])  # fmt: skip
            share = (time.perf_counter() - started) / max(1, len(asks))  # generation time, shared out evenly
            for (job, _, _, resumed), cands in zip(asks, answers, strict=True):
                named = f"{source}-local" if source == "model" and resumed is not None else source
                began, verify_before = time.perf_counter(), self._verify_seconds
                self._load(job.schema)
                seen = {t.sql for t in job.tried}
                fresh = []
                for c in cands:
                    if not c.complete:  # cut off by the budget: a verified prefix would drop the query's rest
                        job.cut += 1
                        continue
                    if c.sql and c.sql not in seen:
                        seen.add(c.sql)
                        fresh.append((named, c.sql, -c.logprob))
                job.tried += self.verify(job.sql, fresh, job.result.error.kinds)
                job.verify_seconds += self._verify_seconds - verify_before
                job.seconds += share + time.perf_counter() - began

    def _finish(self, job: _Job) -> FixResult:
        result = job.result
        result.candidates = job.tried
        passing = sorted((c for c in job.tried if c.verified), key=lambda c: rank_key(job.sql, c.sql, c.preference))
        if passing:
            best = passing[0]
            result.fixed_sql, result.source, result.verified = best.sql, best.source, True
            runner = next((c for c in passing[1:] if sql_tokens(c.sql) != sql_tokens(best.sql)), None)
            said = " ".join(filter(None, [job.error, result.error.message if result.error else None]))
            verdict = assess(evidence(job.sql, best.sql), evidence(job.sql, runner.sql) if runner else None,
                             best.source.startswith("model"), said)  # fmt: skip
            result.confidence, result.reason = verdict.confidence, verdict.reason
        elif job.tried:
            closest = min(job.tried, key=lambda c: (c.changed_lines, c.preference))
            result.last_error = closest.error
        if not result.verified and job.open:  # what was tried, and what a person can do next
            step = next_step(result.error.message if result.error else None, job.sql, self.use_model)
            tried = f"{len(job.tried)} candidates ({'repairs and the model' if self.use_model else 'repairs only'})"
            result.note = "; ".join(filter(None, [result.note, f"tried {tried}", step]))
        if job.cut:
            cut = f"{job.cut} model answer{'s' if job.cut != 1 else ''} cut off by the time or token budget, not tried"
            result.note = "; ".join(filter(None, [result.note, cut]))
        result.seconds, result.verify_seconds = job.seconds, job.verify_seconds
        return result


def next_step(message: str | None, sql: str | None, used_model: bool) -> str:
    """The next thing to try when no candidate verified: what the error's taxonomy leaf says the bug is
    (``taxonomy.classify``; its ``description`` in ``conf/taxonomy.yaml``), and the model when it did not run.

    Example:
        >>> next_step("[INVALID_WHERE_CONDITION] The WHERE condition ...", None, used_model=True)
        'next: an aggregate or window function in WHERE (belongs in HAVING or a subquery)'
        >>> next_step("something unknown", None, used_model=False)
        'next: --model @champion lets the model try'
    """
    from sqlfix.taxonomy.classify import UNCLASSIFIED, classify
    from sqlfix.taxonomy.model import load_taxonomy

    leaf = classify(message, sql).category_l3
    hint = load_taxonomy().leaf(leaf).description if leaf != UNCLASSIFIED else ""
    model = "" if used_model else "--model @champion lets the model try"
    steps = "; ".join(filter(None, [hint, model]))
    return f"next: {steps}" if steps else ""


@dataclass
class _Job:
    """One query on its way through ``fix_many``."""

    sql: str
    schema: str | None
    error: str | None
    started: float
    result: FixResult | None = None
    tried: list[Candidate] = field(default_factory=list)
    open: bool = False  # still to be offered to the model
    out_of_time: bool = False  # the model's time budget for this query is spent
    cut: int = 0  # model answers cut off by the time or token budget (never tried: a prefix may verify)
    seconds: float = 0.0
    verify_seconds: float = 0.0

    @property
    def fixed(self) -> bool:
        return any(c.verified for c in self.tried)

    def feedback(self) -> Candidate | None:
        """The closest failing model candidate with an analysis error to feed back, if any."""
        failing = [c for c in self.tried if c.source.startswith("model") and not c.verified and c.error is not None
                   and c.error.status == "error"]  # fmt: skip
        return min(failing, key=lambda c: (c.changed_lines, c.preference)) if failing else None
