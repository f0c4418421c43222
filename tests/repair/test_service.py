"""The Fixer's loop with a scripted model: feedback rounds, ranking, refusals and exit codes."""

from __future__ import annotations

import pytest
from sqlfix.inference.generate import Candidate

SCHEMA = "CREATE TABLE qa.orders (order_id BIGINT, amount DECIMAL(18,2), country STRING)"
# A multi-token bug no deterministic repair fixes: a window function in WHERE (it belongs in a subquery).
BUG = "SELECT country, amount\nFROM qa.orders\nWHERE RANK() OVER (PARTITION BY country ORDER BY amount DESC) = 1"
FIX = ("SELECT country, amount\nFROM (SELECT country, amount, RANK() OVER (PARTITION BY country ORDER BY amount DESC)"
       " AS r FROM qa.orders) AS t\nWHERE r = 1")


class Scripted:
    """Answers by the bug SQL in the prompt; records every call."""

    name = "scripted"

    def __init__(self, answers: dict[str, list[str]]):
        self.answers, self.calls, self.batches, self.prompts, self.resumes = answers, [], [], [], []

    def generate(self, prompts, bugs, n=1, temperature=0.0, progress=True, max_time=None, resume=None):
        self.calls.append((bugs[0], n, temperature))
        self.prompts += prompts
        self.resumes += resume or [None] * len(prompts)
        self.batches.append(list(bugs))
        out = []
        for bug in bugs:
            texts = self.answers.get(bug, ["SELECT nothing_useful FROM nowhere"])
            out.append([Candidate(t, t, -0.1 * (k + 1), 5) for k, t in enumerate(texts[:n])])
        return out


@pytest.fixture(scope="module")
def judge(spark):
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox

    j = Judge(Sandbox(spark), threads=2, timeout_s=30)
    yield j
    j.close()


def _fixer(judge, answers, **kw):
    from sqlfix.repair.service import Fixer

    return Fixer(judge, Scripted(answers), **{"samples": 2, "rounds": 2, **kw})


def test_a_failing_answer_is_fed_back_with_its_new_error(judge):
    still_wrong = BUG.replace("RANK() OVER (PARTITION BY country ORDER BY amount DESC)", "r")  # r: no column
    fixer = _fixer(judge, {BUG: [still_wrong, still_wrong], still_wrong: [FIX]})
    result = fixer.fix(BUG, SCHEMA)
    assert (result.verified, result.source, result.fixed_sql) == (True, "model-round-1", FIX)
    assert fixer.generator.calls == [(BUG, 1, 0.0), (BUG, 2, 0.7), (still_wrong, 1, 0.0)]
    assert result.exit_code == 0 and result.error.condition == "WINDOW_FUNCTION_NOT_ALLOWED_IN_CLAUSE"


def test_the_smallest_verified_diff_wins(judge):
    noisy = "-- rewritten\n" + FIX.replace("SELECT country, amount\n", "SELECT country AS c, amount\n")
    result = _fixer(judge, {BUG: [noisy, FIX]}, samples=2).fix(BUG, SCHEMA)
    assert result.fixed_sql == noisy and result.source == "model"  # greedy passes: no sampling needed
    both = _fixer(judge, {BUG: ["SELECT broken FROM", noisy, FIX]}, samples=3).fix(BUG, SCHEMA)
    assert (both.fixed_sql, both.source) == (FIX, "model-sample")  # 1 changed line beats 3


def test_no_verified_fix_exits_3_with_the_last_error(judge):
    result = _fixer(judge, {}, samples=1, rounds=1).fix(BUG, SCHEMA)
    assert (result.verified, result.fixed_sql, result.exit_code) == (False, None, 3)
    assert result.last_error is not None and result.last_error.condition == "TABLE_OR_VIEW_NOT_FOUND"


class CutOff(Scripted):
    """Every answer ends where a time or token budget cut it: the model did not end it."""

    def generate(self, prompts, bugs, n=1, temperature=0.0, progress=True, max_time=None, resume=None):
        answers = super().generate(prompts, bugs, n, temperature, progress, resume=resume)
        return [[Candidate(c.text, c.sql, c.logprob, c.tokens, complete=False) for c in cands] for cands in answers]


def test_an_answer_cut_off_by_the_budget_is_never_a_fix(judge):
    from sqlfix.repair.service import Fixer

    prefix = "SELECT country, amount\nFROM qa.orders"  # the bug without its WHERE: it would verify
    fixer = Fixer(judge, CutOff({BUG: [prefix]}), samples=0, rounds=0)
    result = fixer.fix(BUG, SCHEMA)
    assert (result.verified, result.fixed_sql, result.candidates, result.exit_code) == (False, None, [], 3)
    assert "1 model answer cut off by the time or token budget, not tried" in result.note
    assert _fixer(judge, {BUG: [prefix]}, samples=0, rounds=0).fix(BUG, SCHEMA).fixed_sql == prefix  # were it whole


def test_a_fix_that_drops_the_table_is_no_fix(judge):
    result = _fixer(judge, {BUG: ["DROP TABLE qa.orders"]}, samples=0, rounds=0).fix(BUG, SCHEMA)
    assert result.verified is False and result.candidates[0].sql == "DROP TABLE qa.orders"


def test_hostile_sql_is_refused_and_valid_sql_has_nothing_to_fix(judge):
    fixer = _fixer(judge, {})
    hostile = fixer.fix("SELECT reflect('java.lang.Runtime', 'getRuntime')", SCHEMA)
    assert (hostile.verified, hostile.candidates, hostile.exit_code) == (False, [], 3)
    assert hostile.error.status == "refused" and fixer.generator.calls == []
    fine = fixer.fix("SELECT order_id FROM qa.orders", SCHEMA)
    assert (fine.verified, fine.source, fine.fixed_sql, fine.exit_code) == (
        True,
        "unchanged",
        "SELECT order_id FROM qa.orders",
        0,
    )


def test_rules_come_first_and_the_model_is_not_asked(judge):
    fixer = _fixer(judge, {})
    result = fixer.fix("SELECT ordr_id FROM qa.orders", SCHEMA)
    assert (result.fixed_sql, result.source) == ("SELECT order_id FROM qa.orders", "suggestion")
    assert fixer.generator.calls == []


def test_fix_many_asks_the_model_once_per_phase(judge):
    other = BUG.replace("DESC", "ASC")
    typo = "SELECT ordr_id FROM qa.orders"
    fixer = _fixer(judge, {BUG: [FIX], other: ["SELECT still broken"]}, samples=1, rounds=0)
    results = fixer.fix_many([(BUG, SCHEMA, None), (typo, SCHEMA, None), (other, SCHEMA, None)])
    assert [(r.verified, r.source) for r in results] == [(True, "model"), (True, "suggestion"), (False, None)]
    assert fixer.generator.batches == [[BUG, other], [other]]  # greedy for both, then samples for the one left


class Slow(Scripted):
    """A model that takes its time: every call sleeps ``seconds`` and records the ``max_time`` it was given."""

    def __init__(self, answers, seconds):
        super().__init__(answers)
        self.seconds, self.limits = seconds, []

    def generate(self, prompts, bugs, n=1, temperature=0.0, progress=True, max_time=None, resume=None):
        import time

        self.limits.append(max_time)
        time.sleep(self.seconds)
        return super().generate(prompts, bugs, n, temperature, progress, resume=resume)


def test_the_time_budget_ends_the_model_and_says_so(judge):
    from sqlfix.repair.service import Fixer

    fixer = Fixer(judge, Slow({}, seconds=0.5), samples=2, rounds=2, budget_s=0.4)
    result = fixer.fix(BUG, SCHEMA)
    assert fixer.generator.calls == [(BUG, 1, 0.0)]  # the greedy answer only: then the budget was spent
    assert len(fixer.generator.limits[0]) == 1 and 0.0 < fixer.generator.limits[0][0] <= 0.4
    assert "the model stopped: the time budget of 0.4s per query was spent" in result.note
    assert result.exit_code == 3


def test_a_batch_gives_each_query_its_own_budget(judge):
    from sqlfix.repair.service import Fixer

    other = BUG.replace("DESC", "ASC")
    fixer = Fixer(judge, Slow({}, seconds=0.3), samples=0, rounds=0, budget_s=10)
    results = fixer.fix_many([(BUG, SCHEMA, None), (other, SCHEMA, None)])
    (limits,) = fixer.generator.limits  # one call for both: each prompt brings its own seconds
    assert len(limits) == 2 and all(9.0 < t <= 10.0 for t in limits)
    assert [r.exit_code for r in results] == [3, 3]


def test_no_fix_names_what_was_tried_and_the_next_step(judge):
    from sqlfix.repair.service import Fixer

    result = Fixer(judge).fix(BUG, SCHEMA)  # repairs only
    assert not result.verified and result.error.condition == "WINDOW_FUNCTION_NOT_ALLOWED_IN_CLAUSE"
    assert result.note.endswith("(repairs only); next: a window function where it is not allowed, DISTINCT inside "
                                "it, or an expression a window cannot hold; --model @champion lets the model try")  # fmt: skip


LONG_SCHEMA = "CREATE TABLE qa.orders (order_id BIGINT, amount DECIMAL(18,2), country STRING)"
BODY = "  SELECT\n    order_id,\n    CAST(amount STRING) AS amount_text\n  FROM base"
LONG = "\n".join(["-- nightly report"] * 4 + ["WITH base AS (", "  SELECT order_id, amount", "  FROM qa.orders", "),",
                  "shaped AS (", BODY, ")", "SELECT"] + [f"  order_id * {i} AS o{i}," for i in range(12)]
                 + ["  amount_text", "FROM shaped"])  # fmt: skip


def test_a_long_query_is_answered_locally_around_its_error(judge):
    from sqlfix.repair.service import Fixer

    fixed = LONG.replace("CAST(amount STRING)", "CAST(amount AS STRING)")
    fixer = Fixer(judge, Scripted({LONG: [fixed]}), samples=0, rounds=0, local_min_lines=20, local_lines_before=3)
    result = fixer.fix(LONG, LONG_SCHEMA)
    bad = LONG.split("\n").index("    CAST(amount STRING) AS amount_text")
    assert result.error.condition == "PARSE_SYNTAX_ERROR" and f"line {bad + 1}," in result.error.message
    assert (result.verified, result.source, result.fixed_sql) == (True, "model-local", fixed)
    assert fixer.generator.calls == [(LONG, 1, 0.0)]  # one greedy answer, the whole query in the prompt
    (resume,) = fixer.generator.resumes
    assert (resume.original, resume.head, resume.after) == (LONG, bad - 3, bad)  # begun 3 lines above the error
    assert f"line {bad + 1}," in fixer.generator.prompts[0]
    short = Fixer(judge, Scripted({LONG: [fixed]}), samples=0, rounds=0, local_min_lines=len(LONG.split("\n")) + 1)
    assert short.fix(LONG, LONG_SCHEMA).source == "model" and short.generator.resumes == [None]  # the whole query
