from __future__ import annotations

import socket

from tests.harness.waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    def listening() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True

    wait_until(listening, f"something to listen on 127.0.0.1:{port}", timeout=timeout, ignoring=(OSError,))
