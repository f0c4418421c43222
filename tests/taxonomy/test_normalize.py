"""Message normalisation: plan dumps, query contexts and traces are cut; length is bounded."""

from __future__ import annotations

from sqlfix.taxonomy.normalize import normalize


def test_normalise_strips_plans_contexts_traces_and_bounds_length():
    text = normalize(
        "[X] a SQLSTATE: 1; line 1 pos 2;\n'Project [a]\n+- Range (0, 1)\n== SQL ==\nSELECT\n\tat a.B(C.java:1)"
    )
    assert text == "[X] a SQLSTATE: 1; line 1 pos 2;"
    assert len(normalize("y" * 100_000)) == 4000
