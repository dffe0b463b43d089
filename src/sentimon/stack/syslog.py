"""Where `stack up` points the API's syslog sink: the host's syslog socket when it has one."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sentimon.stack.settings import StackSettings


@dataclass(frozen=True)
class SyslogChoice:
    address: str
    """SENTIMON_SYSLOG_ADDRESS for the API; empty: no syslog."""
    reason: str
    """One line for `stack up` to print."""


def choose_syslog(settings: StackSettings, environ: Mapping[str, str] = os.environ) -> SyslogChoice:
    """The caller's own SENTIMON_SYSLOG_ADDRESS, else the stack's setting where it can work."""
    if (explicit := environ.get("SENTIMON_SYSLOG_ADDRESS")) is not None:
        where = f"to {explicit}" if explicit else "off"
        return SyslogChoice(explicit, f"syslog {where} (SENTIMON_SYSLOG_ADDRESS)")
    address = settings.syslog_address
    if not address:
        return SyslogChoice("", "syslog off (SENTIMON_STACK_SYSLOG_ADDRESS is empty)")
    if address.startswith("udp://") or _is_socket(address):
        return SyslogChoice(address, f"syslog: the API sends WARNING and above to {address}")
    # The API would only count lost lines; saying so once here is clearer.
    return SyslogChoice(
        "",
        f"syslog off: {address} is not a socket on this host (no syslog daemon listens);"
        " set SENTIMON_STACK_SYSLOG_ADDRESS to a socket path or udp://host:port",
    )


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


JOURNALD_SOCKET = Path("/run/systemd/journal/socket")
SYSLOG_FILES = (Path("/var/log/syslog"), Path("/var/log/messages"))


def host_syslog_file() -> str:
    """The file rsyslog writes the host's syslog to, where no journald runs; else empty.

    With journald, the collector reads the journal, and the file would repeat it.
    """
    if JOURNALD_SOCKET.exists():
        return ""
    return next((str(path) for path in SYSLOG_FILES if path.is_file()), "")
