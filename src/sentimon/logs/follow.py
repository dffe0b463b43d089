"""`--follow`: the lines appended to the log files, across rotations and new workers' files.

Files are followed by name, as `tail -F` does: when `sentimon.log` is renamed to
`sentimon.log.1` and a new `sentimon.log` starts, the rest of the renamed file is read
first, then the new one from its start.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sentimon.logs.reader import (
    LogFileGroup,
    LogLine,
    ReadStats,
    find_log_files,
    is_log_file_name,
    merge_in_time_order,
    parse_lines,
    read_file,
)

POLL_SECONDS = 0.2


class FileTail:
    """One file followed by name; `read()` gives the complete lines written since the last."""

    def __init__(self, path: Path, stats: ReadStats) -> None:
        self.path = path
        self.stats = stats
        self._file: BinaryIO | None = None
        self._inode: int | None = None
        self._partial = b""
        self._open()

    def _open(self) -> bool:
        try:
            file = self.path.open("rb")
        except FileNotFoundError:
            return False
        self._file = file
        self._inode = os.fstat(file.fileno()).st_ino
        self._partial = b""
        self.stats.files += 1
        return True

    def _drain(self) -> list[bytes]:
        assert self._file is not None
        if os.fstat(self._file.fileno()).st_size < self._file.tell():
            self._file.seek(0)  # truncated in place: start again
            self._partial = b""
        data = self._file.read()
        if not data:
            return []
        *lines, self._partial = (self._partial + data).split(b"\n")
        return lines

    def _replaced(self) -> bool:
        """True once another file has the name (a rotation); while no file has it, the
        old one, renamed, is still the one written last."""
        try:
            return self.path.stat().st_ino != self._inode
        except FileNotFoundError:
            return False

    def read(self) -> list[bytes]:
        if self._file is None and not self._open():
            return []
        lines = self._drain()
        if self._replaced():
            lines += self._drain()  # what the writer put in before it renamed the file
            if self._partial:  # a line its writer never finished
                lines.append(self._partial)
            self.close()
            if self._open():
                lines += self._drain()
        return lines

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Follower:
    """Log directories (every sentimon*.log in them, new ones included) and single files."""

    def __init__(self, directories: list[Path], files: list[Path], stats: ReadStats) -> None:
        self.directories = directories
        self.stats = stats
        self.tails = {path: FileTail(path, stats) for path in files}

    def history(self) -> Iterator[LogLine]:
        """What the files hold now, in time order. The files being written are read through
        the handles that `poll` reads on with, so no line falls between the two."""
        groups = [LogFileGroup(path) for path in self.tails]
        for directory in self.directories:
            for group in find_log_files(directory):
                if group.current not in self.tails:
                    self.tails[group.current] = FileTail(group.current, self.stats)
                groups.append(group)
        return merge_in_time_order(
            itertools.chain(
                *(read_file(path, self.stats) for path in group.rotated),
                parse_lines(self.tails[group.current].read(), self.stats),
            )
            for group in groups
        )

    def poll(self) -> list[LogLine]:
        """The lines written since the last call, in time order."""
        for directory in self.directories:
            try:
                paths = list(directory.iterdir())
            except OSError:  # removed meanwhile: its files may come back
                paths = []
            for path in paths:
                if path not in self.tails and is_log_file_name(path.name, rotated=False):
                    self.tails[path] = FileTail(path, self.stats)  # a new worker's file
        lines = [line for tail in self.tails.values() for line in self._parse(tail)]
        return sorted(lines, key=lambda line: line.ts)

    def _parse(self, tail: FileTail) -> list[LogLine]:
        return list(parse_lines(tail.read(), self.stats))

    def forever(self, interval: float = POLL_SECONDS) -> Iterator[list[LogLine]]:
        """`poll` every `interval` seconds, until the caller stops."""
        while True:
            yield self.poll()
            time.sleep(interval)

    def close(self) -> None:
        for tail in self.tails.values():
            tail.close()
