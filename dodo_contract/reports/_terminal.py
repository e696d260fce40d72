"""Draw the gate's progress bar and print its summary: rich colour on a terminal, plain text everywhere else.

rich is imported only inside these functions, so ``import dodo_contract`` and the pytest plugin never load it.
The output mode follows rich's own detection (``FORCE_COLOR``, ``TTY_COMPATIBLE``, ``TERM=dumb``, ``isatty``),
except that a non-empty ``NO_COLOR`` means no escape code at all: rich alone would still send bold and cursor
moves. A plain terminal still gets a progress line, redrawn with ``\\r`` only.

The progress callback protocol (``ProgressCallback``): ``progress(done, total, phase)`` as the engine calls it
today, with an optional fourth argument ``violations``, the number of findings so far, shown live when given.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO

from ..errors import redact
from ._summary import SEP, plural, stop_reason, summary_lines

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["OutputMode", "ProgressBar", "ProgressCallback", "exit_line", "output_mode", "print_summary", "progress_bar"]

OutputMode = Literal["rich", "plain-tty", "plain"]
_REFRESH_S = 0.1
_PLAIN_BAR_WIDTH = 30
_PLAIN_MAX = 160


class ProgressCallback(Protocol):
    """What the engine calls after each answer: ``(done, total, phase[, violations])``."""

    def __call__(self, done: int, total: int | None, phase: str, violations: int | None = None, /) -> None: ...


class ProgressBar(ProgressCallback, Protocol):
    """A progress callback that owns a display; ``close()`` removes it (call it even after an interrupt)."""

    def close(self) -> None: ...


def _console(out: TextIO) -> Console:
    from rich.console import Console

    # highlight/markup/emoji off: messages and servers' answers are shown as they are, never interpreted.
    return Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=True)


def output_mode(out: TextIO) -> OutputMode:
    """Return how to write to ``out``: ``rich`` (colour, live bar), ``plain-tty`` (text, ``\\r`` bar), ``plain``."""
    console = _console(out)
    if not console.is_terminal:
        return "plain"
    if os.environ.get("NO_COLOR", "") or console.is_dumb_terminal:
        return "plain-tty"
    return "rich"


def _found_text(violations: int | None) -> str:
    return "" if violations is None else plural(violations, "violation")


class _PlainBar:
    """``[#####-----] 12/40 requests  ·  invalid  ·  1 violation`` redrawn in place with ``\\r``, no escape codes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.last = 0.0
        self.width = 0

    def __call__(self, done: int, total: int | None, phase: str, violations: int | None = None, /) -> None:
        now = time.monotonic()
        if now - self.last < _REFRESH_S and (total is None or done < total):
            return
        self.last = now
        if total:
            filled = min(_PLAIN_BAR_WIDTH, _PLAIN_BAR_WIDTH * done // total)
            head = f"[{'#' * filled}{'-' * (_PLAIN_BAR_WIDTH - filled)}] {done}/{total} requests"
        else:
            head = f"[{plural(done, 'request')}]"
        text = SEP.join(part for part in (head, phase, _found_text(violations)) if part)[:_PLAIN_MAX]
        self.out.write("\r" + text + " " * max(0, self.width - len(text)))
        self.out.flush()
        self.width = len(text)

    def close(self) -> None:
        if self.width:
            self.out.write("\r" + " " * self.width + "\r")
            self.out.flush()
            self.width = 0


class _RichBar:
    """A rich progress bar: phase, bar, done/total requests, the live violation count, elapsed time."""

    def __init__(self, out: TextIO) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.fields[phase]}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("requests", style="dim"),
            TextColumn("{task.fields[found]}", markup=True),
            TimeElapsedColumn(),
            console=_console(out),
            transient=True,  # the summary replaces it
            refresh_per_second=1 / _REFRESH_S,
            redirect_stdout=False,  # never swap the process' sys.stdout/sys.stderr from inside a library call
            redirect_stderr=False,
        )
        self.task = self.progress.add_task("dodo-contract", total=None, phase="starting", found="")
        self.progress.start()
        self.shown: tuple[str, int | None] = ("starting", None)
        self.closed = False

    def __call__(self, done: int, total: int | None, phase: str, violations: int | None = None, /) -> None:
        # Only digits and our own words go through markup here.
        found = "" if violations is None else f"[{'bold red' if violations else 'green'}]{_found_text(violations)}[/]"
        # Between the timed refreshes only the last state is drawn; a new phase or violation is shown at once.
        now = (phase, violations)
        self.progress.update(
            self.task, completed=done, total=total, phase=phase, found=found, refresh=now != self.shown
        )
        self.shown = now

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.progress.stop()


def progress_bar(out: TextIO) -> ProgressBar | None:
    """Return a progress display on ``out`` when it is a terminal (rich, or plain ``\\r`` lines), else None."""
    mode = output_mode(out)
    if mode == "plain":
        return None
    return _RichBar(out) if mode == "rich" else _PlainBar(out)


def print_summary(
    data: Mapping[str, Any],
    out: TextIO,
    *,
    report_dir: Path | None = None,
    secrets: Sequence[str] = (),
    show_violations: bool = True,
) -> None:
    """Print the end-of-run summary of a report dict on ``out``, styled on a colour terminal; redact ``secrets``."""
    lines = summary_lines(data, report_dir=report_dir, show_violations=show_violations)
    if output_mode(out) != "rich":
        text = "\n".join("".join(t for t, _ in line) for line in lines) + "\n"
    else:
        from rich.text import Text

        console = _console(out)
        with console.capture() as captured:
            for line in lines:
                # soft_wrap: no hard line breaks inserted, so a long reproducer still pastes as one command.
                console.print(Text.assemble(*((t, s) if s else t for t, s in line)), soft_wrap=True)
        text = captured.get()
    out.write(redact(text, secrets))
    out.flush()


def exit_line(data: Mapping[str, Any], *, prog: str = "dodo-contract gate") -> str:
    """Return the one stderr line of a run that could not give a verdict: what stopped it, said once."""
    errors = [str(e) for e in data.get("errors") or []]
    if data.get("verdict") == "incomplete":
        reason = stop_reason(data) or (errors[0] if errors else "not every planned request was sent")
        return f"{prog}: incomplete run (stopped early: {reason}); failing closed"
    reason = errors[0] if errors else "the run gave no verdict and recorded no reason"
    lowered = reason.lower()
    for prefix in ("could not check: ", "could not check "):
        if lowered.startswith(prefix):
            reason = reason[len(prefix) :]
            break
    return f"{prog}: could not check: {reason}; failing closed"
