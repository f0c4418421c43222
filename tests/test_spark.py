"""The session factory's scratch warehouses: a killed process's folder is swept by the next one (issue 25)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlfix.spark import sweep_scratch_warehouses


def test_scratch_warehouses_of_dead_processes_are_swept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = tmp_path / f"sqlfix-warehouse-{int(dead.stdout)}-abc"
    mine = tmp_path / f"sqlfix-warehouse-{os.getpid()}-def"
    old = tmp_path / "sqlfix-warehouse-k2j4h1"  # an older release's name: swept once a day old
    fresh = tmp_path / "sqlfix-warehouse-z9y8x7"
    for path in (gone, mine, old, fresh):
        (path / "db.db").mkdir(parents=True)
    os.utime(old, (0, 0))
    assert sorted(sweep_scratch_warehouses(str(tmp_path))) == sorted([str(gone), str(old)])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, fresh.name])
