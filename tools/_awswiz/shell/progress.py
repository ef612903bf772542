"""A progress bar on stderr for --pretty runs (transient), and a silent stand-in otherwise."""

from __future__ import annotations

import threading


class _Silent:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self, n: int = 1) -> None:
        pass

    def add_total(self, n: int) -> None:
        pass


class _Bar(_Silent):
    def __init__(self, description: str, total: int):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from _awswiz.shell.output import stderr_console

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), console=stderr_console(), transient=True)
        self._task = self._p.add_task(description, total=total)
        self._total = total
        self._lock = threading.Lock()

    def __enter__(self):
        self._p.start()
        return self

    def __exit__(self, *exc):
        self._p.stop()
        return False

    def advance(self, n: int = 1) -> None:
        self._p.advance(self._task, n)

    def add_total(self, n: int) -> None:
        with self._lock:
            self._total += n
            self._p.update(self._task, total=self._total)


def make_progress(description: str, total: int, enabled: bool):
    return _Bar(description, total) if enabled else _Silent()
