"""The taxonomy as records: leaves with their conditions, patterns and guards, loaded and checked once.

Every leaf is one named unit; a leaf's message regex is the alternation of its own patterns and one
``[CONDITION]`` pattern per Spark error condition it claims. Both classifiers (Python and Spark) read
the same ``Leaf`` objects, so they cannot drift apart.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from sqlfix.config import conf_dir
from sqlfix.errors import SqlfixError
from sqlfix.sql.features import FEATURES

N_LEAVES = 81
UNCLASSIFIED = "unclassified"


class TaxonomyError(SqlfixError, ValueError):
    """A taxonomy file that breaks the rules (count, ids, regexes, double claims)."""


@dataclass(frozen=True)
class Leaf:
    id: str
    description: str
    conditions: tuple[str, ...]
    exact_conditions: tuple[str, ...]  # name this leaf on their own: the guards do not apply to them
    patterns: tuple[str, ...]
    when_message: str | None
    when_sql: str | None
    parens_unbalanced: bool
    quotes_unbalanced: bool
    example: str
    example_sql: str | None
    features: tuple[str, ...] = ()  # error feature: what a correct query must hold for this bug (sql.features)
    on_rows: bool = False  # its errors are raised while rows flow, though it is not in the runtime group
    # An unresolved name none of whose suggested names is close (classify.suggestions_far): the message names
    # a column the query's scope has nothing like, not a misspelling of one it has.
    suggestions_far: bool = False

    @property
    def l1(self) -> str:
        return self.id.split(".")[0]

    @property
    def runs_on_rows(self) -> bool:
        """Whether a bug of this leaf shows only when a query runs: every runtime leaf, and the leaves marked
        ``on_rows`` (a datetime pattern or a regex is compiled when the first row is formatted or matched)."""
        return self.l1 == "runtime" or self.on_rows

    @property
    def l2(self) -> str:
        return ".".join(self.id.split(".")[:2])

    @property
    def name(self) -> str:
        return self.id.split(".")[-1]

    @property
    def guarded(self) -> bool:
        return bool(
            self.when_message or self.when_sql or self.parens_unbalanced or self.quotes_unbalanced
            or self.suggestions_far
        )  # fmt: skip

    @property
    def exact_regex(self) -> str | None:
        if not self.exact_conditions:
            return None
        return "(?i)" + "|".join(f"(?:{_condition_regex(c)})" for c in self.exact_conditions)

    @property
    def message_regex(self) -> str:
        """One case-insensitive regex: the leaf's patterns and ``[CONDITION(.SUB)*]`` for each claim."""
        parts = [_condition_regex(c) for c in (*self.conditions, *self.exact_conditions)] + list(self.patterns)
        return "(?i)" + "|".join(f"(?:{p})" for p in parts)


def _condition_regex(condition: str) -> str:
    # A parent condition also matches its sub-conditions; a sub-condition only itself.
    return (
        r"\[" + re.escape(condition).replace(r"\.", r"\.") + (r"(?:\.[A-Z0-9_]+)*\]" if "." not in condition else r"\]")
    )


@dataclass(frozen=True, eq=False)  # hashed by identity: loaded once, cached
class Taxonomy:
    version: int
    groups: dict[str, str]
    leaves: tuple[Leaf, ...]

    def leaf(self, leaf_id: str) -> Leaf:
        for leaf in self.leaves:
            if leaf.id == leaf_id:
                return leaf
        raise KeyError(leaf_id)

    def on_rows(self, category_l1: str | None, category_l3: str | None = None) -> bool:
        """Whether a bug classified ``category_l1``/``category_l3`` must be run on rows to be seen failing."""
        if category_l1 == "runtime":
            return True
        try:
            return bool(category_l3) and self.leaf(category_l3).runs_on_rows
        except KeyError:  # unclassified, or a leaf of another taxonomy version
            return False

    def claims(self) -> dict[str, list[Leaf]]:
        """Condition -> leaves that claim it."""
        out: dict[str, list[Leaf]] = {}
        for leaf in self.leaves:
            for condition in (*leaf.conditions, *leaf.exact_conditions):
                out.setdefault(condition, []).append(leaf)
        return out


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and check ``conf/taxonomy.yaml`` (or another file).

    Raises:
        TaxonomyError: not exactly 81 leaves, a duplicate or malformed id, an unknown group or feature, a regex
            that does not compile, or a condition claimed unguarded by two leaves.
    """
    path = Path(path) if path else conf_dir() / "taxonomy.yaml"
    return _load(str(path.resolve()), path.stat().st_mtime)


@functools.lru_cache(maxsize=4)
def _load(path: str, _mtime: float) -> Taxonomy:
    raw = yaml.safe_load(Path(path).read_text())
    groups = raw.get("groups") or {}
    leaves = []
    for item in raw.get("leaves") or []:
        leaves.append(
            Leaf(
                id=item["id"],
                description=item.get("description", ""),
                conditions=tuple(item.get("conditions") or ()),
                exact_conditions=tuple(item.get("exact_conditions") or ()),
                patterns=tuple(item.get("patterns") or ()),
                when_message=item.get("when_message"),
                when_sql=item.get("when_sql"),
                parens_unbalanced=bool(item.get("parens_unbalanced")),
                quotes_unbalanced=bool(item.get("quotes_unbalanced")),
                example=item.get("example", ""),
                example_sql=item.get("example_sql"),
                features=tuple(item.get("features") or ()),
                on_rows=bool(item.get("on_rows")),
                suggestions_far=bool(item.get("suggestions_far")),
            )
        )
    taxonomy = Taxonomy(int(raw.get("version", 1)), groups, tuple(leaves))
    _check(taxonomy)
    return taxonomy


def _check(taxonomy: Taxonomy) -> None:
    leaves = taxonomy.leaves
    if len(leaves) != N_LEAVES:
        raise TaxonomyError(f"the taxonomy must have exactly {N_LEAVES} leaves, it has {len(leaves)}")
    ids = [leaf.id for leaf in leaves]
    if len(set(ids)) != len(ids):
        raise TaxonomyError(f"duplicate leaf ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    for leaf in leaves:
        if not re.fullmatch(r"[a-z_]+\.[a-z_]+\.[a-z0-9_]+", leaf.id):
            raise TaxonomyError(f"leaf id {leaf.id!r} is not group.family.name")
        if leaf.l1 not in taxonomy.groups:
            raise TaxonomyError(f"leaf {leaf.id}: unknown group {leaf.l1!r}")
        unknown = [f for f in leaf.features if f not in FEATURES]
        if unknown:
            raise TaxonomyError(f"leaf {leaf.id}: unknown features {unknown} (sqlfix.sql.features.FEATURES)")
        if not leaf.conditions and not leaf.patterns:
            raise TaxonomyError(f"leaf {leaf.id} has neither conditions nor patterns")
        for regex in (leaf.message_regex, leaf.when_message, leaf.when_sql):
            if regex:
                try:
                    re.compile(regex)
                except re.error as exc:
                    raise TaxonomyError(f"leaf {leaf.id}: bad regex {regex!r}: {exc}") from exc
    for condition, claimants in taxonomy.claims().items():
        unguarded = [leaf.id for leaf in claimants if not leaf.guarded or condition in leaf.exact_conditions]
        if len(unguarded) > 1:
            raise TaxonomyError(f"{condition} is claimed by {unguarded} and no SQL/message guard separates them")
