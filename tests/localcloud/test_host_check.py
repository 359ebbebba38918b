"""localcloud.host_check: which Host headers the local servers answer (DNS rebinding)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from localcloud.host_check import allowed_hosts, host_problem

LOOPBACK = allowed_hosts("127.0.0.1", 3000)


@pytest.mark.parametrize("host", ["127.0.0.1:3000", "localhost:3000", "LOCALHOST:3000", "[::1]:3000"])
def test_loopback_names_with_the_servers_port_are_answered(host: str) -> None:
    assert host_problem(host, LOOPBACK) is None


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:3000",  # a rebound name
        "attacker.example",
        "127.0.0.1:3001",  # another port
        "localhost",  # port 80
        "127.0.0.1.nip.io:3000",
        "localhost.:3000",
        "10.0.0.5:3000",
    ],
)
def test_other_names_or_ports_are_misdirected(host: str) -> None:
    assert host_problem(host, LOOPBACK) is HTTPStatus.MISDIRECTED_REQUEST


@pytest.mark.parametrize(
    "host", [None, "", "127.0.0.1:abc", "127.0.0.1:3000/x", "user@127.0.0.1:3000", "[::1:3000", "127.0.0.1:99999"]
)
def test_missing_or_malformed_hosts_are_bad_requests(host: str | None) -> None:
    assert host_problem(host, LOOPBACK) is HTTPStatus.BAD_REQUEST


def test_a_server_bound_to_a_specific_address_also_answers_to_it() -> None:
    allowed = allowed_hosts("192.168.1.20", 3000)
    assert host_problem("192.168.1.20:3000", allowed) is None
    assert host_problem("127.0.0.1:3000", allowed) is None
    assert host_problem("0.0.0.0:3000", allowed_hosts("0.0.0.0", 3000)) is HTTPStatus.MISDIRECTED_REQUEST
