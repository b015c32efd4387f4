"""Progress of long operations, on standard error, only where someone watches.

A bar is drawn when standard error is a terminal, unless `--quiet` (or `RNNZOO_QUIET=1`) silenced it; results
stay on standard output, so `rnnzoo VERB --json | jq` pipes cleanly. Library code never prints otherwise.

Examples:
>>> bar = Progress(3, "decoding", enabled=False)
>>> for _ in range(3):
...     bar.add(1)
>>> bar.close()
"""

from __future__ import annotations

import os
import sys
import time

_QUIET = [os.environ.get("RNNZOO_QUIET", "") not in ("", "0")]


def set_quiet(quiet: bool) -> None:
    """Silences (or restores) every progress bar of this process (`rnnzoo --quiet`)."""
    _QUIET[0] = bool(quiet)


def quiet() -> bool:
    return _QUIET[0]


def _shown(enabled: bool | None) -> bool:
    if enabled is not None:
        return bool(enabled) and not _QUIET[0]
    stream = sys.stderr
    return not _QUIET[0] and hasattr(stream, "isatty") and stream.isatty()


def _amount(n: float, unit: str) -> str:
    if unit == "B":
        for scale, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if n >= scale:
                return f"{n / scale:.1f} {name}"
        return f"{int(n)} B"
    return f"{int(n):,}"


class Progress:
    """A one-line bar on standard error: `label  42% 4,200/10,000  00:12 < 00:17`.

    Args:
        total: int or None. Units of work (None: a counter without a percentage).
        label: str. What is being done.
        enabled: bool or None. None: shown when standard error is a terminal and not silenced.
        unit: str. "B" shows bytes; anything else counts items.
    """

    def __init__(self, total: int | None, label: str, enabled: bool | None = None, unit: str = "") -> None:
        self.total, self.label, self.unit = total, label, unit
        self.done: float = 0
        self.shown = _shown(enabled)
        self._start = time.monotonic()
        self._drawn = 0.0

    def add(self, n: float = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.shown and (now - self._drawn >= 0.1 or (self.total and self.done >= self.total)):
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self._start
        clock = f"{int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}"
        if self.total:
            share = min(self.done / self.total, 1.0)
            left = elapsed / share - elapsed if share > 0 else 0.0
            text = (f"{self.label}  {100 * share:3.0f}% {_amount(self.done, self.unit)}/"
                    f"{_amount(self.total, self.unit)}  {clock} < {int(left) // 60:02d}:{int(left) % 60:02d}")
        else:
            text = f"{self.label}  {_amount(self.done, self.unit)}  {clock}"
        sys.stderr.write("\r" + text[:119].ljust(79))
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown and self.done:
            self._draw(time.monotonic())
            sys.stderr.write("\n")
            sys.stderr.flush()
        self.shown = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
