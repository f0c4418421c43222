"""Localised answers: where a resumed answer rejoins its original, and the generator that stops there."""

from __future__ import annotations

import pytest
from sqlfix.inference.resume import Resume, resume_at

QUERY = "\n".join([
    "WITH a AS (",                              # 0
    "  SELECT id, amount FROM qa.orders",       # 1
    "),",                                       # 2
    "b AS (",                                   # 3
    "  SELECT id, amount FROM qa.orders",       # 4
    ")",                                        # 5
    "SELECT",                                   # 6
    "  a.id,",                                  # 7
    "  CAST(a.amount STRING) AS amount_text",   # 8  the error's line
    "FROM a",                                   # 9
    "JOIN b ON a.id = b.id",                    # 10
    "WHERE a.amount > 0",                       # 11
    "ORDER BY a.id",                            # 12
])  # fmt: skip
FIXED_LINE = "  CAST(a.amount AS STRING) AS amount_text"


def _answer(lines: list[str], partial: str = "") -> str:
    return "\n".join(lines) + "\n" + partial


@pytest.mark.parametrize(
    ("generated", "expected"),
    [
        # the error's line rewritten, then two lines copied: rejoined, the rest is the query's own
        (QUERY.split("\n")[:8] + [FIXED_LINE, "FROM a", "JOIN b ON a.id = b.id"], QUERY.replace("amount STRING", "amount AS STRING")),
        # only one line after the change, and it is too short to trust ("FROM a"): not yet
        (QUERY.split("\n")[:8] + [FIXED_LINE, "FROM a"], None),
        # a line inserted above the error's line, then the query copied from it on
        (QUERY.split("\n")[:8] + ["  a.amount,", "  CAST(a.amount STRING) AS amount_text", "FROM a"],
         QUERY.replace("  a.id,\n", "  a.id,\n  a.amount,\n")),
        # copied unchanged past the error: nothing fixed, so no rejoin (the model goes on)
        (QUERY.split("\n")[:11], None),
        # the error's line dropped: rejoined with it gone
        (QUERY.split("\n")[:8] + ["FROM a", "JOIN b ON a.id = b.id"], QUERY.replace("  CAST(a.amount STRING) AS amount_text\n", "")),
    ],
)  # fmt: skip
def test_where_an_answer_rejoins_its_query(generated, expected):
    assert Resume(QUERY, head=5, after=8).rejoined(_answer(generated)) == expected


def test_a_tail_the_query_holds_twice_waits_for_one_more_line():
    # "  SELECT id, amount FROM qa.orders" is lines 1 and 4: alone, it does not tell where the answer is
    r = Resume(QUERY, head=0, after=0)
    changed = ["WITH a AS (", "  SELECT id, amount FROM qa.orders AS o", "),", "b AS ("]
    assert r.rejoined(_answer(changed)) is None  # "),", "b AS (": too short to trust, with the changed line no match
    again = changed + ["  SELECT id, amount FROM qa.orders"]
    assert r.rejoined(_answer(again)) == QUERY.replace("qa.orders\n),", "qa.orders AS o\n),", 1)  # with "b AS (": once
    # the same lines above the error's line (after=8) are not a rejoin: the answer is still copying
    assert Resume(QUERY, head=0, after=8).rejoined(_answer(again)) is None


def test_the_first_rejoin_is_found_as_the_answer_grows():
    r = Resume(QUERY, head=5, after=8)
    lines = QUERY.split("\n")[:8] + [FIXED_LINE, "FROM a", "JOIN b ON a.id = b.id", "WHERE a.amount > 0"]
    whole, checked = r.first_rejoin(_answer(lines[:9], "FRO"))
    assert (whole, checked) == (None, 9)
    whole, checked = r.first_rejoin(_answer(lines, "ORDER"), checked)  # three lines at once: the earliest counts
    assert (whole, checked) == (QUERY.replace("amount STRING", "amount AS STRING"), 12)
    assert r.start == "\n".join(QUERY.split("\n")[:5])


def test_resume_at_begins_lines_above_the_error():
    r = resume_at(QUERY, 9, before=3)
    assert (r.head, r.after) == (5, 8)
    assert (resume_at(QUERY, 2, before=3).head, resume_at(QUERY, 14, 3)) == (0, None)


@pytest.fixture(scope="module")
def generator(tiny_model_dir):
    from sqlfix.inference.generate import HFGenerator

    return HFGenerator(tiny_model_dir, batch_size=2, max_new_tokens=40, prompt_lookup=0)


@pytest.mark.slow
def test_the_rejoin_criterion_stops_a_row_where_it_rejoins(generator):
    import torch
    from sqlfix.inference.generate import _Rejoin

    tok = generator.tokenizer
    r = Resume(QUERY, head=5, after=8)
    prompt = tok("[BUG SQL] x", add_special_tokens=False)["input_ids"]
    text = "\n" + "\n".join(QUERY.split("\n")[5:8] + [FIXED_LINE, "FROM a", "JOIN b ON a.id = b.id", "WHERE"])
    ids = tok(text, add_special_tokens=False)["input_ids"]
    crit = _Rejoin(tok, len(prompt), [(r, r.start), None])
    for n in range(1, len(ids) + 1):  # one token at a time, as generation calls it
        rows = torch.tensor([prompt + ids[:n], prompt + ids[:n]])
        stop = crit(rows, None).tolist()
        if stop[0]:
            break
    assert stop == [True, False]  # the resumed row stops, the other (not resumed) never does
    # at the token that completes "JOIN b ON a.id = b.id": a line found once after the changed one
    assert n == next(k for k in range(1, len(ids) + 1) if "= b.id\n" in tok.decode(ids[:k]))
    assert crit.found == [QUERY.replace("amount STRING", "amount AS STRING"), None]


@pytest.mark.slow
def test_a_resumed_answer_begins_with_the_query_above_the_error(generator):
    from sqlfix.inference.generate import token_budget

    r = Resume(QUERY, head=5, after=8)
    prompts = ["[BUG SQL]\n" + QUERY, "[BUG SQL]\nSELECT 1"]
    resumed, plain = generator.generate(prompts, [QUERY, "SELECT 1"], progress=False, resume=[r, None])
    head_ids, head = generator._head(r)
    assert head == r.start and generator.tokenizer.decode(head_ids) == head  # the original's own tokens
    assert resumed[0].text.startswith(r.start) and not plain[0].text.startswith("WITH a AS (")
    rest = len(generator.tokenizer(QUERY, add_special_tokens=False)["input_ids"]) - len(head_ids)
    assert resumed[0].tokens <= min(40, token_budget(rest))  # the budget is the lines below the head's
