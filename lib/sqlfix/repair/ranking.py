"""Plausibility: of the candidates the analyzer accepts, the fix a person would have made, and how sure that is.

Spark accepting a candidate only says it compiles; a misspelt column "fixed" into another table's column
compiles too, and users apply what they are shown. So verified candidates are ranked by how little they
change, in this order (``evidence`` and ``rank_key``):

1. token edits from the input (``sql.diff.token_edits``: a misspelt name, a stray parenthesis = 1; a run of
   tokens moved elsewhere counts once, not as a deletion and an insertion);
2. character edits inside the replaced tokens (``ship_statex`` -> ``ship_state`` is 1, -> ``ship_date`` 3; a
   token inserted or deleted counts 1, however long);
3. what a person would not have written: string literals over a line break, holding a doubled quote or
   ending in ``AS``, ``AS alias`` or a comma (``odd_literals``; a moved quote re-pairs every literal after it, so a
   candidate that only inserts or deletes quotes is measured with the quote as one token, and this tells
   them apart), a column compared with itself or a repeated conjunct (``self_comparisons``: ``c.id = c.id``
   when an ambiguous ``id`` is qualified);
4. a name that the written one extends or abbreviates (``avg_val`` -> ``avg``, not ``any_value``);
5. the likelier slip: a closing bracket added or dropped (a stray ``)`` is deleted, not given a partner
   ``(``; an unclosed ``(`` gets its ``)``, it is not deleted) or a quote added, then a deletion, then
   anything else;
6. the source's own order last (Spark's suggestion order, a rule's order, a model answer's likelihood).

``assess`` turns the ranking's evidence into a ``confidence`` (``high`` / ``medium`` / ``low``) and a
one-line reason: high when a repair changed one token by a few characters (or to a name the written one
extends) and every other verified candidate is further away; low when another verified candidate is as
close on every count (the evidence cannot choose) or the change is large; medium otherwise: when only the
likelier-slip rule chose, and for every model answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlfix.sql.diff import char_distance, token_opcodes
from sqlfix.sql.features import parse

CONFIDENCE = ("low", "medium", "high")


@dataclass(frozen=True)
class Evidence:
    """How far a candidate is from the input: what the ranking sorts on and what the reason says."""

    token_edits: int
    char_edits: int
    slip: int  # 0: only closing brackets inserted or deleted, or quotes inserted; 1: only deletions; 2: anything else
    change: str  # the first edit, as people read it: "`ship_statex` -> `ship_state`", "deletes `)`"
    affix: bool = False  # a one-token replacement where one name begins or ends with the other
    odd: int = 0  # what no one writes in the candidate: odd_literals and self_comparisons
    added: tuple[str, ...] = ()  # names and values the candidate adds (no keywords): what a model may invent

    @property
    def closeness(self) -> tuple[int, int, int, int, int]:
        return self.token_edits, self.char_edits, self.odd, 0 if self.affix else 1, self.slip


# A comment or a string literal (a doubled quote inside it kept): comments are skipped, literals judged.
_LITERAL_OR_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/|'((?:[^'\\]|\\.|'')*)'", re.S)
_ODD_END = re.compile(r"\s+AS(?:\s+\w+)?\s*$|,\s*$", re.I)


def self_comparisons(sql: str) -> int:
    """Conditions no one writes on purpose: a column compared with itself, a conjunct repeated.

    Example:
        >>> self_comparisons("SELECT 1 FROM a JOIN b ON b.id = b.id WHERE a.x IS NULL AND a.x IS NULL AND 1 = 1")
        2
        >>> self_comparisons("SELECT 1 FROM a JOIN b ON b.id = a.id"), self_comparisons("SELECT (")
        (0, 0)
    """
    from sqlglot import exp

    try:
        tree = parse(sql)
    except ValueError:
        return 0
    compared = sum(isinstance(n.left, exp.Column) and n.left == n.right
                   for n in tree.find_all(exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.GT, exp.GTE, exp.LT, exp.LTE))  # fmt: skip
    return compared + sum(n.left == n.right for n in tree.find_all(exp.And, exp.Or))


def odd_literals(sql: str) -> int:
    """String literals a person is unlikely to have meant: over a line break, holding a doubled quote, or
    ending in ``AS``, an alias or a comma — the marks of a quote closed in the wrong place.

    Example:
        >>> odd_literals("SELECT 'a, b' AS x, 'it''s', 'c' FROM t -- don't")
        1
        >>> [odd_literals(s) for s in ("IN ('e, ''p')", "SELECT 'New AS kind'", "'New AS' kind", "'a,\\n  b'", "('e', 'p')")]
        [1, 1, 1, 1, 0]
    """
    inner = (m.group(1) for m in _LITERAL_OR_COMMENT.finditer(sql) if m.group(0).startswith("'"))
    return sum(1 for text in inner if "\n" in text or "''" in text or _ODD_END.search(text))


def evidence(sql: str, candidate: str) -> Evidence:
    """The ranking evidence of ``candidate`` as a fix of ``sql``.

    Example:
        >>> e = evidence("SELECT o.ship_statex FROM o", "SELECT o.ship_state FROM o")
        >>> e.token_edits, e.char_edits, e.slip, e.change
        (1, 1, 2, '`ship_statex` -> `ship_state`')
        >>> evidence("SELECT sum(a)) FROM t", "SELECT sum(a) FROM t").change
        'deletes `)`'
        >>> e = evidence("SELECT a FROM t GROUP BY a WHERE b > 1", "SELECT a FROM t WHERE b > 1 GROUP BY a")
        >>> e.token_edits, e.change
        (3, 'moves `GROUP BY a`')
    """
    ops = token_opcodes(sql, candidate, literals=sql.replace("'", "") != candidate.replace("'", ""))
    # a run of tokens deleted in one place and inserted as it was in another is one move: counted once
    inserted = [new for tag, _, new in ops if tag == "insert"]
    moved = [old for tag, old, _ in ops if tag == "delete" and old in inserted]
    tokens = sum(max(len(old), len(new)) for _, old, new in ops) - sum(len(run) for run in moved)
    affix = len(ops) == 1 and ops[0][0] == "replace" and len(ops[0][1]) == len(ops[0][2]) == 1 and _affix(
        ops[0][1][0].lower(), ops[0][2][0].lower()
    )
    # characters count inside a replaced token; a token dropped or added is one slip however long it is
    # (``p.id`` and ``s.id`` for an ambiguous ``id`` are as close)
    chars = sum(char_distance(" ".join(old), " ".join(new)) if tag == "replace" else len(old) + len(new)
                for tag, old, new in ops) - sum(len(run) for run in moved)  # fmt: skip
    if not ops:
        change = "no token changed"
    elif len(ops) == 2 and moved:
        change = f"moves `{' '.join(moved[0])}`"
    else:
        tag, old, new = ops[0]
        change = {"delete": f"deletes `{' '.join(old)}`", "insert": f"inserts `{' '.join(new)}`"}.get(
            tag, f"`{' '.join(old)}` -> `{' '.join(new)}`"
        )
        if len(ops) > 1:
            change += f" and {len(ops) - 1} more edit{'s' if len(ops) > 2 else ''}"
    # a closing bracket or quote forgotten (or a stray closing bracket) is the commonest slip
    closers = bool(ops) and all(tag != "replace" and (set(old + new) <= {")", "]", "}"} or new == ["'"])
                                for tag, old, new in ops)  # fmt: skip
    deletions = bool(ops) and all(tag == "delete" for tag, _, _ in ops)
    odd = odd_literals(candidate) + self_comparisons(candidate)
    return Evidence(tokens, chars, 0 if closers else 1 if deletions else 2, change, affix, odd, added_content(ops))


_CONTENT = re.compile(r"^(?:'.*'|`.*`|\d[\w.]*|[A-Za-z_]\w*)$", re.S)


def added_content(ops: list[tuple[str, list[str], list[str]]]) -> tuple[str, ...]:
    """The names and values (no keywords, no punctuation) that token edits add: a run inserted, or the
    tokens a replacement brings beyond the ones it replaces; not what is deleted elsewhere (a move).

    Example:
        >>> from sqlfix.sql.diff import char_distance, token_opcodes
        >>> added_content(token_opcodes("OVER (PARTITION BY s)", "OVER (PARTITION BY s ORDER BY email ASC)"))
        ('email',)
        >>> added_content(token_opcodes("DATE_ADD(x)", "DATE_ADD(x, 1)")), added_content(token_opcodes("SELECT colx", "SELECT col"))
        (('1',), ())
    """
    out = []
    deleted = [token for tag, old, _ in ops if tag == "delete" for token in old]
    for tag, old, new in ops:
        if tag == "insert" or (tag == "replace" and len(new) > len(old)):
            left = list(old) + deleted
            for token in new:
                if token in left:
                    left.remove(token)
                elif _CONTENT.match(token) and token.upper() not in _keywords():
                    out.append(token)
    return tuple(out)


def _guessed(token: str, error: str) -> bool:
    """Whether a name or value the model added is its own choice: every literal (a message's numbers count
    arguments, they do not name values), and a name the error does not hold as a word.

    Example:
        >>> _guessed("1", "requires 2 parameters but the actual number is 1"), _guessed("id", "not valid")
        (True, True)
        >>> _guessed("`created_at`", "the expression `created_at` is neither ...")
        False
    """
    if token[0] == "'" or token[0].isdigit():
        return True
    return re.search(rf"(?<!\w){re.escape(token.strip('`'))}(?!\w)", error, re.I) is None


def _keywords() -> frozenset[str]:
    global _KEYWORDS
    if _KEYWORDS is None:
        from sqlglot.dialects.spark import Spark

        _KEYWORDS = frozenset(w for key in Spark.Tokenizer.KEYWORDS for w in key.split()) | {"NULLS"}
    return _KEYWORDS


_KEYWORDS: frozenset[str] | None = None


def _affix(a: str, b: str) -> bool:
    """One name begins or ends with the other (at least 3 characters of it)."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and (long_.startswith(short) or long_.endswith(short))


def rank_key(sql: str, candidate: str, preference: float) -> tuple[int, int, int, int, float]:
    """The sort key of a verified candidate: closeness to the input, then the source's preference.

    Example:
        >>> sql = "SELECT a FROM t WHERE (b > 1))"
        >>> sorted(["SELECT a FROM t WHERE ((b > 1))", "SELECT a FROM t WHERE (b > 1)"], key=lambda c: rank_key(sql, c, 0))[0]
        'SELECT a FROM t WHERE (b > 1)'
    """
    return (*evidence(sql, candidate).closeness, preference)


@dataclass(frozen=True)
class Assessment:
    confidence: str  # one of CONFIDENCE
    reason: str


def assess(best: Evidence, runner_up: Evidence | None, by_model: bool, error: str | None = None) -> Assessment:
    """Confidence in the best verified candidate, given the closest other verified one (``None``: none).
    A model's fix that adds a name or value the ``error`` does not hold is a guess at what was meant: low.

    Example:
        >>> best = Evidence(1, 1, 2, "`ship_statex` -> `ship_state`")
        >>> assess(best, Evidence(1, 3, 2, "`ship_statex` -> `ship_date`"), by_model=False)
        Assessment(confidence='high', reason='`ship_statex` -> `ship_state`: 1 token, 1 character edit; the nearest other verified candidate is 3 character edits away (`ship_statex` -> `ship_date`)')
        >>> assess(best, Evidence(1, 1, 2, "`ship_statex` -> `ship_stater`"), by_model=False).confidence
        'low'
        >>> assess(Evidence(2, 2, 2, "inserts `, 1`", added=("1",)), None, True, "`date_add` requires 2 parameters")
        Assessment(confidence='low', reason='inserts `, 1`: 2 tokens, 2 character edits; no other candidate verified; written by the model, which chose `1`: the error does not name it')
    """
    size = f"{best.token_edits} token{'s' if best.token_edits != 1 else ''}, " \
           f"{best.char_edits} character edit{'s' if best.char_edits != 1 else ''}" \
           f"{' (one name extends the other)' if best.affix else ''}"  # fmt: skip
    near = runner_up is not None and runner_up.closeness[:2] == best.closeness[:2]  # as few edits
    if runner_up is None:
        other = "no other candidate verified"
    elif runner_up.closeness == best.closeness:
        other = f"another verified candidate is as close ({runner_up.change})"
    elif near:
        if best.odd < runner_up.odd:
            why = "the other writes what no one writes (a literal over a line break, a column compared with itself)"
        elif best.affix and not runner_up.affix:
            why = "its name does not extend the written one"
        else:
            why = "a closing bracket or quote, or a deletion, is the likelier slip"
        other = f"another verified candidate is as many edits away, but {why} ({runner_up.change})"
    elif runner_up.token_edits == best.token_edits:
        other = f"the nearest other verified candidate is {runner_up.char_edits} character edits away ({runner_up.change})"
    else:
        other = f"the nearest other verified candidate edits {runner_up.token_edits} tokens ({runner_up.change})"
    small = best.token_edits <= 1 and (best.char_edits <= 3 or best.affix)
    if runner_up is not None and runner_up.closeness == best.closeness:
        level = "low"
    elif best.token_edits > 6 or (best.token_edits <= 1 and best.char_edits > 6 and not best.affix):
        level = "low"  # a large rewrite, or one name swapped for a quite different one
    elif small and not by_model and not (near and (best.affix == runner_up.affix or best.odd != runner_up.odd)):
        level = "high"  # (a tie on edits broken only by the literals or the deletion rule is no more than medium)
    else:
        level = "medium"
    if by_model:
        other += "; written by the model"
        guessed = [t for t in best.added if _guessed(t, error or "")]
        if guessed:
            level = "low"
            other += f", which chose {', '.join(f'`{t}`' for t in guessed[:3])}: the error does not name " + (
                "it" if len(guessed) == 1 else "them"
            )
    return Assessment(level, f"{best.change}: {size}; {other}")


def at_least(confidence: str | None, minimum: str) -> bool:
    """Whether ``confidence`` reaches ``minimum`` (``low`` < ``medium`` < ``high``).

    Example:
        >>> at_least("medium", "medium"), at_least("low", "medium"), at_least("high", "low")
        (True, False, True)
    """
    if minimum not in CONFIDENCE:
        raise ValueError(f"confidence must be one of {', '.join(CONFIDENCE)}, not {minimum!r}")
    return confidence in CONFIDENCE and CONFIDENCE.index(confidence) >= CONFIDENCE.index(minimum)
