"""The taxonomy's model: exactly 81 leaves on three levels; a broken taxonomy file is refused."""

from __future__ import annotations

import pytest
import yaml
from sqlfix.config import conf_dir
from sqlfix.taxonomy.model import N_LEAVES, TaxonomyError, load_taxonomy

TAXONOMY = load_taxonomy()


def test_exactly_81_leaves_on_three_levels():
    assert len(TAXONOMY.leaves) == N_LEAVES == 81
    assert {leaf.l1 for leaf in TAXONOMY.leaves} == set(TAXONOMY.groups)
    assert len({leaf.l2 for leaf in TAXONOMY.leaves}) >= 20
    for leaf in TAXONOMY.leaves:
        assert leaf.description and leaf.example, leaf.id


def test_a_broken_taxonomy_is_refused(tmp_path):
    raw = yaml.safe_load((conf_dir() / "taxonomy.yaml").read_text())
    short = dict(raw, leaves=raw["leaves"][:-1])
    (tmp_path / "short.yaml").write_text(yaml.safe_dump(short))
    with pytest.raises(TaxonomyError, match="exactly 81"):
        load_taxonomy(tmp_path / "short.yaml")
    double = dict(raw)
    double["leaves"] = [dict(leaf) for leaf in raw["leaves"]]
    double["leaves"][-1]["conditions"] = ["MISSING_AGGREGATION"]
    (tmp_path / "double.yaml").write_text(yaml.safe_dump(double))
    with pytest.raises(TaxonomyError, match="MISSING_AGGREGATION is claimed by"):
        load_taxonomy(tmp_path / "double.yaml")


def test_leaves_that_fail_only_on_rows():
    """Every runtime leaf, and exactly the three leaves outside the runtime group marked on_rows."""
    tax = load_taxonomy()
    marked = sorted(leaf.id for leaf in tax.leaves if leaf.on_rows)
    assert marked == ["platform.unsupported.behaviour_change", "types.expression.invalid_argument_value",
                      "types.expression.invalid_datetime_pattern"]  # fmt: skip
    assert tax.on_rows("runtime") is True  # a logged runtime error, whatever its leaf
    assert tax.on_rows("types", "types.expression.invalid_datetime_pattern") is True
    assert tax.on_rows("types", "types.mismatch.cast_not_allowed") is False
    assert tax.on_rows("unclassified", "unclassified") is False
    assert tax.on_rows(None) is False
