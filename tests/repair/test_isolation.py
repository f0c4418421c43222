"""Issue 25: a served fixer never verifies one caller's query against another caller's tables, and one bad
row gets its own error, not the batch's."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

PAYROLL = "CREATE TABLE iso_hr.secret_payroll (employee STRING, salary_eur DOUBLE)"
SHOP = "CREATE TABLE iso_shop.orders (order_id BIGINT, amount DOUBLE)"


@pytest.fixture
def served(spark):
    """The registered pyfunc as serving runs it, with the sandbox of ``sqlfix fix`` and no model."""
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.repair.pyfunc import FixerModel
    from sqlfix.repair.service import Fixer

    model = FixerModel()
    model.generator, model._lock = None, threading.Lock()
    model.fixer = Fixer(Judge(Sandbox(spark), threads=1, timeout_s=30), None)
    return model


def test_caller_b_never_sees_caller_a_tables(served):
    a = served.predict(None, pd.DataFrame([{"sql": "SELECT employe, salary_eur FROM iso_hr.secret_payroll",
                                            "schema": PAYROLL, "error": None}]))  # fmt: skip
    assert a.loc[0, "verified"] and "employee" in a.loc[0, "fixed_sql"]
    b = served.predict(None, pd.DataFrame([
        {"sql": "SELECT salary_eur FROM iso_hr.secret_payroll", "schema": None, "error": None},
        {"sql": "SELECT salary_eur FROM iso_hr.secret_payroll", "schema": SHOP, "error": None},
    ]))  # fmt: skip
    assert list(b["verified"]) == [False, False]
    assert all(b["fixed_sql"].isna())


def test_one_bad_row_is_that_rows_error(served):
    got = served.predict(None, pd.DataFrame([
        {"sql": "SELECT order_id FROM iso_shop.orders", "schema": float("nan"), "error": float("nan")},
        {"sql": 42, "schema": SHOP, "error": None},
        {"sql": "SELECT order_idd FROM iso_shop.orders", "schema": SHOP + "; CREATE TABLE a.b.c (x INT)", "error": None},
    ]))  # fmt: skip
    assert list(got["verified"]) == [False, False, True]
    assert got.loc[1, "last_error"].startswith("not fixed: ValueError: sql must be a string")
    assert got.loc[2, "fixed_sql"] == "SELECT order_id FROM iso_shop.orders"
