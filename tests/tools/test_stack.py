"""The benchmark's and the fault suite's stack of processes."""

import socket
from pathlib import Path

import pytest

from tools.stack import Stack

pytestmark = pytest.mark.e2e


def test_a_port_taken_before_the_first_start_is_chosen_again(tmp_path: Path) -> None:
    """Nothing reserves a port chosen free until the server binds it; another process can take
    it in between (it happened to the Temporal UI's port in a test run)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = Stack(tmp_path, ui_port=port)
        try:
            stack.start_temporal()

            assert stack.ui_port != port
            assert stack.temporal is not None
            assert stack.temporal.poll() is None  # running
        finally:
            stack.stop()
