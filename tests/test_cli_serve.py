"""`crimegraph serve` checks its port before it starts the engine and seeds: a port another
server listens on is refused at once, one a stopped server left in TIME_WAIT is not."""

from __future__ import annotations

import socket

import pytest

from graph.cli.serve import check_port_free
from graph.core.errors import InvalidInput


def test_a_port_in_use_is_refused_before_anything_starts() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(InvalidInput, match="is crimegraph already serving"):
            check_port_free("127.0.0.1", port)


def test_a_port_a_stopped_server_left_in_time_wait_is_free() -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()  # the server closes first: its end of the connection waits (TIME_WAIT)
        client.close()
    check_port_free("127.0.0.1", port)  # as `crimegraph serve` restarted at once
