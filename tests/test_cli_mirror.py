"""`contingency mirror` refuses bad input before it touches the network or the database (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.mirror.models import MirrorServer

KEY = "ed25519:" + "A" * 43


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "bc.example.org", "--token", "ctg_x"), "error: --from: 'bc.example.org' is not a server address"),
        (("--from", "https://bc.example.org/?a=1", "--token", "ctg_x"), "error: --from:"),
        (("--from", "https://bc.example.org"), "error: --token: a mirror token is needed"),
        (("--from", "https://bc.example.org", "--token", "ctg_a b"), "error: --token: expected one token"),
        (("--from", "https://bc.example.org", "--token", "t", "--every", "soon"), "error: --every: 'soon' is not a"),
        (("--from", "https://bc.example.org", "--token", "t", "--every", "5 working days"), "error: --every:"),
        (
            ("--from", "https://bc.example.org", "--token", "t", "--every", "15m", "--once"),
            "error: --every: give --once",
        ),
        (("--from", "https://bc.example.org", "--token", "t", "--server-key", "rsa:x"), "error: --server-key:"),
        (("--from", "https://bc.example.org", "--token", "t"), "error: --server-key: the first pull from"),
    ],
)
def test_bad_input_is_refused(db: None, args: tuple[str, ...], says: str) -> None:
    result = CliRunner().invoke(main, ["mirror", *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(says), result.stderr
    assert not MirrorServer.objects.exists()


def test_the_token_file(db: None, tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["mirror", "--from", "https://x.example.org", "--token-file", "/nonexistent"])
    assert missing.exit_code == 2 and "error: --token-file: /nonexistent cannot be read" in missing.stderr
    two = tmp_path / "token"
    two.write_text("ctg_one\nctg_two\n")
    result = CliRunner().invoke(main, ["mirror", "--from", "https://x.example.org", "--token-file", str(two)])
    assert result.exit_code == 2 and "error: --token-file: expected one token" in result.stderr
    both = CliRunner().invoke(
        main, ["mirror", "--from", "https://x.example.org", "--token", "a", "--token-file", str(two)]
    )
    assert both.exit_code == 2 and "not both" in both.stderr


def test_a_server_that_does_not_answer_keeps_nothing_and_says_so(db: None) -> None:
    # Port 9 (discard) on this machine: nothing listens; the first pull fails and there is no copy yet.
    args = [
        "mirror",
        "--from",
        "http://127.0.0.1:9",
        "--token",
        "ctg_x",
        "--server-key",
        KEY,
        "--org",
        "northwick-general",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "northwick-general: the pull failed: the server http://127.0.0.1:9 could not be reached" in result.stderr
    assert "there is no copy yet" in result.stderr
