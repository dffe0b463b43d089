"""The port check before `stack up`: a listener holds a port, closed connections do not."""

from __future__ import annotations

import socket

import psutil

from sentimon.stack.launcher import port_holder


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
