"""Generation on the tiny random model: order kept across length-sorted batches, budgets, samples, and
answer extraction from chatty or fenced answers."""

from __future__ import annotations

import pytest
from sqlfix.inference.extract import extract_sql

pytestmark = pytest.mark.slow

ANSWERS = [
    ("```sql\nSELECT a\nFROM t\n```", "SELECT a\nFROM t"),
    ("Here is the fixed query:\n```\nSELECT a FROM t\n```\nHope it helps!", "SELECT a FROM t"),
    ("```python\nprint(1)\n```\n```sql\nSELECT 1\n```", "SELECT 1"),
    ("-- keep me\nWITH x AS (\n  SELECT 1 AS a\n)\nSELECT a FROM x\n\nThe fix adds the missing parenthesis.",
     "-- keep me\nWITH x AS (\n  SELECT 1 AS a\n)\nSELECT a FROM x"),
    ("Sure! The corrected SQL is:\nSELECT a\nFROM t\nNote: I renamed the column.", "SELECT a\nFROM t"),
    ("```sql\nSELECT a\nFROM t", "SELECT a\nFROM t"),  # cut off before the closing fence
    ("", ""),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "sql"), ANSWERS)
def test_extract_sql(answer, sql):
    assert extract_sql(answer) == sql


@pytest.fixture(scope="module")
def generator(tiny_model_dir):
    from sqlfix.inference.generate import HFGenerator

    return HFGenerator(tiny_model_dir, batch_size=3, max_new_tokens=40)


PROMPTS = [f"[BUG SQL]\nSELECT {'a, ' * n}b FROM t{n}" for n in (5, 0, 9, 2, 7)]
BUGS = [p.split("\n", 1)[1] for p in PROMPTS]


def test_batched_greedy_equals_one_at_a_time(generator):
    from sqlfix.inference.generate import HFGenerator

    batched = generator.generate(PROMPTS, BUGS, progress=False)
    single = HFGenerator(generator.name, batch_size=1, max_new_tokens=40).generate(PROMPTS, BUGS, progress=False)
    assert [c[0].text for c in batched] == [c[0].text for c in single]  # the input order survives sorting
    assert all(len(c) == 1 for c in batched)
    for bug, cands in zip(BUGS, batched, strict=True):
        assert cands[0].tokens <= generator.budget(bug) <= 40
        assert cands[0].complete == (cands[0].tokens < generator.budget(bug))  # ended by the model, not the budget
        assert cands[0].logprob <= 0.0


def test_prompt_lookup_gives_the_same_greedy_answer(generator):
    from sqlfix.inference.generate import HFGenerator

    plain = HFGenerator(generator.name, batch_size=1, max_new_tokens=40, prompt_lookup=0)
    lookup = HFGenerator(generator.name, batch_size=1, max_new_tokens=40, prompt_lookup=10)
    assert (plain.prompt_lookup, lookup.prompt_lookup) == (0, 10)
    a, b = plain.generate(PROMPTS, BUGS, progress=False), lookup.generate(PROMPTS, BUGS, progress=False)
    assert [c[0].text for c in a] == [c[0].text for c in b]
    assert [c[0].tokens for c in a] == [c[0].tokens for c in b]
    assert [round(c[0].logprob, 3) for c in a] == [round(c[0].logprob, 3) for c in b]


def test_samples_and_budget(generator):
    from sqlfix.inference.generate import token_budget

    out = generator.generate(PROMPTS[:2], BUGS[:2], n=3, temperature=1.0, progress=False)
    assert [len(c) for c in out] == [3, 3]
    n_bug = len(generator.tokenizer(BUGS[1], add_special_tokens=False)["input_ids"])
    assert generator.budget(BUGS[1]) == min(40, token_budget(n_bug)) == min(40, int(n_bug * 1.3) + 24)


def test_spark_generator_matches_local_generation(spark, generator):
    from sqlfix.inference.spark import SparkGenerator

    local = generator.generate(PROMPTS, BUGS, progress=False)
    remote = SparkGenerator(spark, generator.name, batch_size=3, max_new_tokens=40, partitions=2).generate(
        PROMPTS, BUGS
    )
    assert [c[0].text for c in remote] == [c[0].text for c in local]
    assert [round(c[0].logprob, 4) for c in remote] == [round(c[0].logprob, 4) for c in local]
    assert [c[0].complete for c in remote] == [c[0].complete for c in local]
    limited = SparkGenerator(spark, generator.name, batch_size=1, max_new_tokens=40, partitions=2).generate(
        PROMPTS, BUGS, max_time=[60.0, 0.0, 60.0, 0.0, 60.0]
    )  # each prompt's limit travels with it to its worker
    assert [[c.text for c in cands] for cands in limited] == [[local[0][0].text], [], [local[2][0].text], [],
                                                             [local[4][0].text]]  # fmt: skip
    from sqlfix.inference.resume import Resume

    resume = [Resume("SELECT\n  a,\n  b\nFROM t", head=2, after=2), None]  # each prompt's Resume travels too
    here = generator.generate(PROMPTS[:2], BUGS[:2], progress=False, resume=resume)
    there = SparkGenerator(spark, generator.name, batch_size=3, max_new_tokens=40, partitions=2).generate(
        PROMPTS[:2], BUGS[:2], resume=resume
    )
    assert [c[0].text for c in there] == [c[0].text for c in here] and here[0][0].text.startswith("SELECT\n  a,")


def test_per_prompt_time_limits_skip_the_prompts_out_of_time(generator):
    from sqlfix.inference.generate import HFGenerator

    one_at_a_time = HFGenerator(generator.name, batch_size=1, max_new_tokens=40)
    out = one_at_a_time.generate(PROMPTS, BUGS, progress=False, max_time=[60.0, 0.0, 60.0, 0.0, 60.0])
    assert [len(c) for c in out] == [1, 0, 1, 0, 1]
    batched = generator.generate(PROMPTS, BUGS, progress=False, max_time=[0.0, 0.0, 0.0, 60.0, 0.0])
    assert [len(c) for c in batched] == [1, 1, 0, 1, 0]  # batches by length: [n0, n2, n5] (n2 has 60 s), [n7, n9]


def test_answers_to_one_prompt_share_its_cache(generator):
    from sqlfix.inference.generate import HFGenerator

    one = HFGenerator(generator.name, batch_size=1, max_new_tokens=40, prompt_lookup=0)
    greedy = one.generate(PROMPTS[:1], BUGS[:1], progress=False)[0][0]
    calls = []
    one._prefilled = lambda enc, n, read=one._prefilled: calls.append(n) or read(enc, n)
    three = one.generate(PROMPTS[:1], BUGS[:1], n=3, progress=False)[0]  # the prompt read once, for 3 answers
    assert calls == [3] and [c.text for c in three] == [greedy.text] * 3
    assert [c.tokens for c in three] == [greedy.tokens] * 3 and abs(three[0].logprob - greedy.logprob) < 1e-4
    sampled = one.generate(PROMPTS[:2], BUGS[:2], n=2, temperature=1.0, progress=False)
    assert calls == [3, 2, 2] and [len(c) for c in sampled] == [2, 2]
