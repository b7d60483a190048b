"""accord.core.auth: bearer tokens read from the header, and what each role may do."""

from __future__ import annotations

import pytest

from accord.core.auth import Role, Viewer, bearer_token, hash_token, require
from accord.core.errors import Forbidden, Unauthenticated


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, None), ("Bearer acc_x", "acc_x"), ("bearer  acc_x ", "acc_x"), ("BEARER acc_x", "acc_x")],
)
def test_bearer_tokens(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["", "Basic dXNlcjpwdw==", "Bearer", "Bearer   ", "acc_x", "Token acc_x"])
def test_other_schemes_are_refused(header: str) -> None:
    with pytest.raises(Unauthenticated, match="Authorization: Bearer <token>"):
        bearer_token(header)


def test_roles() -> None:
    editor, admin = Viewer("e", Role.EDITOR), Viewer("a", Role.ADMIN)
    for action in ("create", "update", "publish", "archive", "restore", "read_drafts"):
        assert editor.allows(action) and admin.allows(action)
    assert admin.allows("delete") and not editor.allows("delete")
    assert not admin.allows("anything else")


def test_the_preview_role_reads_and_does_nothing_else() -> None:
    preview = Viewer("staging", Role.PREVIEW)
    assert preview.allows("read_drafts") and preview.reads_only
    for action in ("create", "update", "publish", "archive", "restore", "delete", "preview_link"):
        assert not preview.allows(action)
    with pytest.raises(Forbidden, match="the preview role may not publish"):
        require(preview, "publish")
    editor = Viewer("e", Role.EDITOR)
    assert editor.allows("preview_link") and not editor.reads_only


def test_require_names_what_is_missing() -> None:
    with pytest.raises(Unauthenticated, match="reading drafts and revisions needs a token"):
        require(None, "read_drafts")
    with pytest.raises(Forbidden, match="the editor role may not delete"):
        require(Viewer("e", Role.EDITOR), "delete")
    viewer = Viewer("a", Role.ADMIN)
    assert require(viewer, "delete") is viewer


def test_only_a_hash_is_kept() -> None:
    assert hash_token("acc_x") == hash_token("acc_x") != hash_token("acc_y")
    assert len(hash_token("acc_x")) == 64 and "acc_x" not in hash_token("acc_x")
