"""Progress of long work: a tqdm bar (rate, ETA) on a terminal; in a log, clean lines instead of a bar's
carriage-return fragments: one every ``every`` seconds while it runs, and one when it ends.

    with progress(len(rows), "filter", "pair") as bar:
        for row in rows:
            ...
            bar.update(1)
"""

from __future__ import annotations

import sys
import time


class LogLines:
    """The bar's interface, writing whole lines: ``filter: 120/440 pair (27%), 35.1 pair/s, ETA 9s``."""

    def __init__(self, total: int | None, desc: str, unit: str, every: float = 30.0, stream=None):
        self.total, self.desc, self.unit, self.every = total, desc, unit, every
        self.stream = stream or sys.stderr
        self.n, self.started = 0, time.perf_counter()
        self._last = self.started

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if now - self._last >= self.every and self.n != self.total:  # the last line says the rest
            self._last = now
            self._line(now, done=False)

    def _line(self, now: float, done: bool) -> None:
        seconds = max(now - self.started, 1e-9)
        rate = self.n / seconds
        head = f"{self.desc}: {self.n}/{self.total} {self.unit}" if self.total else f"{self.desc}: {self.n} {self.unit}"
        share = f" ({self.n / self.total:.0%})" if self.total else ""
        if done:
            tail = f" in {seconds:.1f}s"
        elif self.total and rate > 0:
            tail = f", ETA {(self.total - self.n) / rate:.0f}s"
        else:
            tail = ""
        print(f"{head}{share}, {rate:.1f} {self.unit}/s{tail}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.n:
            self._line(time.perf_counter(), done=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(total: int | None, desc: str, unit: str = "it", disable: bool = False, every: float = 30.0):
    """A bar on a terminal, clean lines in a log, nothing when ``disable``.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> with LogLines(4, "filter", "pair", every=0, stream=out) as bar:
        ...     bar.update(2)
        >>> out.getvalue().splitlines()[0].startswith("filter: 2/4 pair (50%), ")
        True
        >>> out.getvalue().splitlines()[1].split(",")[0]
        'filter: 2/4 pair (50%)'
    """
    if disable:
        return LogLines(total, desc, unit, every=float("inf"), stream=_Null())
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, mininterval=1)
    return LogLines(total, desc, unit, every)


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
