"""Progress in a log: whole lines (rate, ETA, a last line with the time), never a bar's carriage returns."""

from __future__ import annotations

import io

from sqlfix.progress import LogLines, progress


def test_log_lines_are_whole_lines_with_rate_eta_and_a_last_line(monkeypatch):
    out = io.StringIO()
    clock = iter([0.0, 10.0, 20.0, 40.0])
    monkeypatch.setattr("sqlfix.progress.time.perf_counter", lambda: next(clock))
    with LogLines(40, "filter", "pair", every=15, stream=out) as bar:
        bar.update(10)  # t=10: too soon for a line
        bar.update(10)  # t=20: a line
    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines() == ["filter: 20/40 pair (50%), 1.0 pair/s, ETA 20s",
                                           "filter: 20/40 pair (50%), 0.5 pair/s in 40.0s"]  # fmt: skip


def test_progress_is_log_lines_off_a_terminal_and_silent_when_disabled(capsys):
    assert isinstance(progress(3, "x"), LogLines)  # pytest's captured stderr is not a terminal
    with progress(3, "x", "it", disable=True) as bar:
        bar.update(3)
    assert capsys.readouterr().err == ""
