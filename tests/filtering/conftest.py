from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def box(spark):
    """A sandbox holding the simulated catalog's shop.* tables."""
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.simulate.domains import all_tables

    sandbox = Sandbox(spark)
    assert sandbox.load(";\n".join(t.ddl for t in all_tables() if t.name.startswith("shop."))) == []
    return sandbox


@pytest.fixture
def judge(box):
    from sqlfix.filtering.judge import Judge

    j = Judge(box, threads=2, timeout_s=30)
    yield j
    j.close()
