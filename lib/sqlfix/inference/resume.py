"""Localised generation for long queries: the answer begins with the query's own lines above the error (read in
one pass with the prompt, never generated) and ends where the model's lines rejoin the query below it (the rest
is the query's own). The model still reads the whole query, as in training; it only writes the lines around
the error — tens of tokens instead of the whole query again (``benchmarks/fix_latency.py``).

A rejoin is the answer's last complete lines found once, in order, among the query's lines, starting at or
after the error's line, with something before them changed: e.g. the model rewrote the error's line and then
copied the two below it. A tail that the query holds more than once waits for one more line; a copy that has
changed nothing goes on. What the splice returns is what the model would write if it went on copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MIN_TAIL_CHARS = 16  # a rejoin needs this many non-blank characters in its tail (a line of `)` or `1,` is not one)


@dataclass(frozen=True)
class Resume:
    """Where the answer to ``original`` begins and where it may rejoin the original.

    ``head``: the original's first lines that begin the answer; ``after``: the first line (0-based) at which
    a rejoin may begin (the error's line).
    """

    original: str
    head: int
    after: int
    lines: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _at: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.original.split("\n")))
        for k, line in enumerate(self.lines):
            self._at.setdefault(line, []).append(k)

    @property
    def start(self) -> str:
        """The answer's given beginning: the head lines, without the line break after them (the model writes
        it, as the line break and the next line's indent are one token in training)."""
        return "\n".join(self.lines[: self.head])

    def rejoined(self, answer: str) -> str | None:
        """The whole query when the answer's complete lines end in a rejoin, else ``None``.

        Example:
            >>> q = "SELECT\\n  a,\\n  CAST(b STRING) AS b\\nFROM t\\nWHERE a > 0\\nORDER BY a"
            >>> r = Resume(q, head=1, after=2)
            >>> r.rejoined("SELECT\\n  a,\\n  CAST(b AS STRING) AS b\\nFROM t\\nWHERE a > 0\\n")
            'SELECT\\n  a,\\n  CAST(b AS STRING) AS b\\nFROM t\\nWHERE a > 0\\nORDER BY a'
            >>> r.rejoined("SELECT\\n  a,\\n  CAST(b AS STRING) AS b\\nFROM t\\n") is None  # too short a tail
            True
            >>> r.rejoined("SELECT\\n  a,\\n  CAST(b STRING) AS b\\nFROM t\\nWHERE a > 0\\n") is None  # nothing changed
            True
        """
        got = answer.split("\n")[:-1]  # complete lines only
        original = self.lines
        k = 1
        while k <= len(got):
            tail = got[-k:]
            ends = [j + 1 for j in self._at.get(tail[-1], []) if j + 1 >= k and list(original[j + 1 - k : j + 1]) == tail]
            if not ends:
                return None
            if len(ends) > 1 or sum(len(t.strip()) for t in tail) < MIN_TAIL_CHARS:
                k += 1  # one more line tells where it rejoins, or makes the tail long enough to trust
                continue
            j = ends[0]
            if j - k < self.after or got[:-k] == list(original[: j - k]):
                return None  # still copying the lines above the error, or copied without a change
            return "\n".join(got + list(original[j:]))
        return None

    def first_rejoin(self, answer: str, checked: int = 0) -> tuple[str | None, int]:
        """The earliest rejoin among the answer's complete lines past the first ``checked`` of them, and how
        many complete lines the answer has (to pass as ``checked`` next time, as it grows).

        Example:
            >>> q = "SELECT\\n  a,\\n  CAST(b STRING) AS b\\nFROM t\\nWHERE a > 0\\nORDER BY a\\nLIMIT 10"
            >>> Resume(q, 1, 2).first_rejoin("SELECT\\n  a,\\n  CAST(b AS STRING) AS b\\nFROM t\\nWHERE a > 0\\nORDER BY a\\nLIM")
            ('SELECT\\n  a,\\n  CAST(b AS STRING) AS b\\nFROM t\\nWHERE a > 0\\nORDER BY a\\nLIMIT 10', 6)
        """
        lines = answer.split("\n")
        complete = len(lines) - 1
        for n in range(max(checked, self.head) + 1, complete + 1):
            whole = self.rejoined("\n".join(lines[:n]) + "\n")
            if whole is not None:
                return whole, complete
        return None, complete


def resume_at(sql: str, line: int | None, before: int) -> Resume | None:
    """The ``Resume`` for an error on 1-based ``line`` of ``sql``: the answer begins ``before`` lines above it.

    Example:
        >>> r = resume_at("SELECT\\n  a,\\n  b c d\\nFROM t", 3, before=1)
        >>> r.head, r.after, r.start
        (1, 2, 'SELECT')
        >>> resume_at("SELECT 1", None, 3) is None, resume_at("SELECT 1", 9, 3) is None
        (True, True)
    """
    count = sql.count("\n") + 1
    if line is None or not 1 <= line <= count:
        return None
    return Resume(sql, head=max(0, line - 1 - before), after=line - 1)
