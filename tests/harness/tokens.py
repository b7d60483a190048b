"""API tokens made the way operators make them: with `accord token create`."""

from __future__ import annotations

from collections.abc import Mapping

from tests.harness.server import run_accord


def create_token(env: Mapping[str, str], name: str, role: str = "editor") -> str:
    result = run_accord("token", "create", "--name", name, "--role", role, env=env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("acc_")
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
