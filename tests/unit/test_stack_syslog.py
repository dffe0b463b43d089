"""Where `stack up` points the API's syslog sink."""

from __future__ import annotations

import socket

import pytest

from sentimon.stack.settings import StackSettings
from sentimon.stack.syslog import choose_syslog


@pytest.fixture
def syslog_socket(tmp_path):
    path = tmp_path / "log.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        yield str(path)


def test_the_default_is_the_hosts_dev_log():
    assert StackSettings().syslog_address == "/dev/log"


def test_a_socket_turns_syslog_on(syslog_socket):
    choice = choose_syslog(StackSettings(syslog_address=syslog_socket), environ={})
    assert choice.address == syslog_socket
    assert syslog_socket in choice.reason


def test_no_socket_there_turns_it_off_and_says_why(tmp_path):
    plain = tmp_path / "log"
    plain.write_text("")
    for missing in (str(tmp_path / "absent"), str(plain)):
        choice = choose_syslog(StackSettings(syslog_address=missing), environ={})
        assert choice.address == ""
        assert f"syslog off: {missing} is not a socket" in choice.reason
        assert "SENTIMON_STACK_SYSLOG_ADDRESS" in choice.reason


def test_empty_turns_it_off_and_udp_is_taken_as_given():
    assert choose_syslog(StackSettings(syslog_address=""), environ={}).address == ""
    udp = "udp://127.0.0.1:5514"
    assert choose_syslog(StackSettings(syslog_address=udp), environ={}).address == udp


def test_the_callers_own_address_wins(syslog_socket):
    settings = StackSettings(syslog_address=syslog_socket)
    assert choose_syslog(settings, environ={"SENTIMON_SYSLOG_ADDRESS": ""}).address == ""
    chosen = choose_syslog(settings, environ={"SENTIMON_SYSLOG_ADDRESS": "udp://h:1"})
    assert chosen.address == "udp://h:1"
