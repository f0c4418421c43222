"""The repairs-only Fixer the fixture walks share (one sandbox per test module)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def fixer(spark):
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.repair.service import Fixer

    judge = Judge(Sandbox(spark), threads=2, timeout_s=30)
    yield Fixer(judge)
    judge.close()
