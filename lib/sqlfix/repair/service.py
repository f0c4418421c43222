"""Verified repair: every candidate fix is dry-run by the analyzer before it is shown.

``Fixer.fix(sql, schema, error)``:
1. The schema's tables become the sandbox's empty tables; the SQL is dry-run (never executed). Hostile SQL
   gets the filter's refusals and no fix. Without an ``error``, Spark's own error is the one to fix; SQL
   that already passes has nothing to fix.
2. Deterministic repairs (``repair.rules``) propose candidates from Spark's error; each is verified.
3. When no repair passes and a model is loaded: its greedy answer, then ``samples`` sampled answers; a
   candidate that still fails is fed back with its new error for up to ``rounds`` rounds.
4. Ranking: passes analysis > smallest line diff against the input (the one line diff) > the source's
   preference (a rule's own order; a model answer's likelihood). The result names its source.

A candidate is verified when it passes Spark's parser and analyzer against the schema and does not do
something the input did not (``policy.kind_changed``: no failing SELECT is "fixed" by a DROP).
"""

from __future__ import annotations

import difflib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlfix.dataset.prompt import render_prompt
from sqlfix.filtering.dryrun import DryRun
from sqlfix.filtering.judge import STOPPERS, Judge
from sqlfix.filtering.policy import kind_changed
from sqlfix.repair.rules import RepairInput, propose
from sqlfix.sql.diff import changed_lines

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
        }  # fmt: skip


def _lines(text: str) -> list[str]:
    return [line + "\n" for line in text.rstrip("\n").split("\n")]


class Fixer:
    """Fix SQL against a schema with deterministic repairs and (optionally) a model, verifying each
    candidate in ``judge``'s sandbox."""

    def __init__(self, judge: Judge, generator=None, samples: int = 4, rounds: int = 2, temperature: float = 0.7,
                 use_rules: bool = True, use_model: bool = True):  # fmt: skip
        self.judge = judge
        self.generator = generator
        self.samples = samples
        self.rounds = rounds
        self.temperature = temperature
        self.use_rules = use_rules
        self.use_model = use_model and generator is not None
        self._functions: frozenset[str] | None = None
        self._verify_seconds = 0.0

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
        started = time.perf_counter()
        self._verify_seconds = 0.0
        problems = self.judge.box.load(schema) if schema else []
        dry = self.judge.side(sql)
        result = FixResult(sql, None, None, False, dry)
        if problems:
            result.note = "; ".join(problems)
        if dry.status in STOPPERS:
            result.note = f"{dry.status}: {dry.message or dry.condition}"
            return self._done(result, started)
        if dry.ok and not error:
            result.fixed_sql, result.source, result.verified = sql, "unchanged", True
            result.note = "the SQL passes Spark's parser and analyzer against the schema: nothing to fix"
            return self._done(result, started)
        tried: list[Candidate] = []
        if self.use_rules and not dry.ok:
            inp = RepairInput(sql, dry, self._tables(), self.functions)
            proposals = [(name, text, float(k)) for k, (name, text) in enumerate(propose(inp))]
            tried += self.verify(sql, proposals, dry.kinds)
        if self.use_model and not any(c.verified for c in tried):
            tried += self._model(sql, schema, error or dry.message or "", dry.kinds)
        result.candidates = tried
        passing = sorted((c for c in tried if c.verified), key=lambda c: (c.changed_lines, c.preference))
        if passing:
            best = passing[0]
            result.fixed_sql, result.source, result.verified = best.sql, best.source, True
        elif tried:
            closest = min(tried, key=lambda c: (c.changed_lines, c.preference))
            result.last_error = closest.error
        return self._done(result, started)

    def _model(self, sql: str, schema: str | None, error: str, kinds: tuple[str, ...]) -> list[Candidate]:
        tried: list[Candidate] = []
        prompt = render_prompt(schema, sql, error)
        greedy = self.generator.generate([prompt], [sql], progress=False)[0]
        tried += self.verify(sql, [("model", c.sql, -c.logprob) for c in greedy if c.sql], kinds)
        if any(c.verified for c in tried):
            return tried
        if self.samples > 0:
            sampled = self.generator.generate(
                [prompt], [sql], n=self.samples, temperature=self.temperature, progress=False
            )[0]
            fresh = [
                ("model-sample", c.sql, -c.logprob) for c in sampled if c.sql and c.sql not in {t.sql for t in tried}
            ]
            tried += self.verify(sql, fresh, kinds)
            if any(c.verified for c in tried):
                return tried
        for round_ in range(1, self.rounds + 1):
            failing = [c for c in tried if not c.verified and c.error is not None and c.error.status == "error"]
            if not failing:
                break
            worst = min(failing, key=lambda c: (c.changed_lines, c.preference))
            again = render_prompt(schema, worst.sql, worst.error.message or "")
            answer = self.generator.generate([again], [worst.sql], progress=False)[0]
            fresh = [
                (f"model-round-{round_}", c.sql, -c.logprob)
                for c in answer
                if c.sql and c.sql not in {t.sql for t in tried}
            ]
            if not fresh:
                break
            tried += self.verify(sql, fresh, kinds)
            if any(c.verified for c in tried):
                break
        return tried

    def _done(self, result: FixResult, started: float) -> FixResult:
        result.seconds = time.perf_counter() - started
        result.verify_seconds = self._verify_seconds
        return result
