"""The checks before and around `stack up`: who holds a port, whether a process still runs."""

from __future__ import annotations

import socket

import psutil

from sentimon.stack.launcher import port_holder
from sentimon.stack.processes import Started, is_alive


def _port_left_in_time_wait() -> int:
    """A port whose server closed a client's connection first, as a server does when it stops
    with a browser tab or traffic connected: the closed connection waits in TIME_WAIT."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()
    client.recv(1)  # the server's FIN
    client.close()
    listener.close()
    return port


def test_a_port_with_only_closed_connections_waiting_is_free():
    port = _port_left_in_time_wait()
    waiting = [
        c
        for c in psutil.net_connections("tcp")
        if c.laddr and c.laddr.port == port and c.status == psutil.CONN_TIME_WAIT
    ]
    assert waiting, "the setup should leave the server's end in TIME_WAIT"
    assert port_holder(port) is None


def test_a_listening_port_is_taken():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        assert port_holder(listener.getsockname()[1]) is not None


def _started(pid: int, started_at: float) -> Started:
    return Started("x", pid, "", "", [], "", "", started_at)


def test_a_running_process_stays_alive_when_the_clock_is_stepped_and_a_recycled_pid_does_not():
    """psutil's create time adds the kernel's boot time, which moves with the wall clock:
    read twice around a clock step it differs by a fraction of a second."""
    me = psutil.Process()
    assert is_alive(_started(me.pid, me.create_time()))
    assert is_alive(_started(me.pid, me.create_time() + 0.4))  # the clock stepped
    assert not is_alive(_started(me.pid, me.create_time() - 3600))  # the pid was recycled
