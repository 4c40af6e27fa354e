"""`contingency mirror`: keep this install's copy of a server's issued plans current (a laptop copy).

`contingency mirror-key` prints the server's public key that laptops pin. Exit codes: 0 every
organisation is current; 1 a pull failed (the last good copy is kept, and the reason printed);
2 bad input (a bad address, key or interval), with nothing written.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from .common import _django, _error, _require_migrated

EXIT_PULL_FAILED = 1


def _interval(text: str) -> timedelta:
    from ..lib.durations import Duration, DurationError, Unit

    try:
        duration = Duration.parse(text)
    except DurationError as exc:
        _error("--every", str(exc))
    if duration.unit not in (Unit.MINUTES, Unit.HOURS, Unit.DAYS) or duration.value < 1:
        _error("--every", f"{text!r}: give minutes, hours or days, e.g. 15m, 1h")
    return duration.shortest


def _token(token: str | None, token_file: Path | None) -> str:
    if token and token_file:
        _error("--token", "give --token or --token-file, not both")
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            _error("--token-file", f"{token_file} cannot be read: {getattr(exc, 'strerror', None) or exc}")
    if not token:
        _error("--token", "a mirror token is needed (make one on your account page on the server)")
    token = token.strip()
    if any(character.isspace() for character in token) or not token.isprintable():
        _error("--token-file" if token_file else "--token", "expected one token (ctg_...), with nothing else")
    return token


@click.command(name="mirror")
@click.option("--from", "url", required=True, help="The server's address, e.g. https://bc.example.org")
@click.option("--token", envvar="CONTINGENCY_MIRROR_TOKEN", help="A mirror token (or set CONTINGENCY_MIRROR_TOKEN).")
@click.option("--token-file", type=click.Path(path_type=Path, dir_okay=False), help="A file holding the token.")
@click.option("--server-key", help="The server's public key (ed25519:...), pinned at the first pull.")
@click.option("--repin", is_flag=True, help="Replace the pinned key with --server-key (the server's key was changed).")
@click.option(
    "--org", "orgs", multiple=True, help="An organisation to copy (repeat; default: those already copied, or all)."
)
@click.option("--once", is_flag=True, help="Pull once and exit (the default).")
@click.option("--every", help="Pull again at this interval until stopped, e.g. 15m.")
def mirror(
    url: str,
    token: str | None,
    token_file: Path | None,
    server_key: str | None,
    repin: bool,
    orgs: tuple[str, ...],
    once: bool,
    every: str | None,
) -> None:
    """Copy the issued plans of a server's organisations here, and keep them current.

    Only what changed since the last pull is fetched; every answer must be signed by the pinned
    server key, and a pull that fails keeps the last good copy and says why.
    """
    if once and every:
        _error("--every", "give --once or --every, not both")
    interval = _interval(every) if every else None
    plain = _token(token, token_file)
    from ..mirror.client import check_url

    try:
        base = check_url(url)
    except ValueError as exc:
        _error("--from", str(exc))
    _django()
    _require_migrated()
    from ..mirror.pull import PinRefused, pin

    try:
        server = pin(base, server_key, repin=repin)
    except PinRefused as exc:
        field, _, message = str(exc).partition(": ")
        _error(field, message)
    if interval is None:
        ok = _pull_all(server, plain, orgs)
        sys.exit(0 if ok else EXIT_PULL_FAILED)
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"Copying from {base} every {every} (Ctrl+C to stop).")
    while not stop.is_set():
        _pull_all(server, plain, orgs)
        stop.wait(interval.total_seconds())


def _pull_all(server: Any, token: str, orgs: tuple[str, ...]) -> bool:
    """One pull of each organisation; prints how each went; True when all are current."""
    from ..mirror.client import Client, PullFailed
    from ..mirror.models import MirrorSource
    from ..mirror.pull import PinRefused, pull_organisation

    client = Client(server.url, token, server.public_key)
    slugs = list(dict.fromkeys(orgs)) or list(MirrorSource.objects.filter(server=server).values_list("slug", flat=True))
    if not slugs:
        try:
            slugs = client.organisations()
        except PullFailed as failed:
            click.echo(f"{server.url}: nothing copied: {failed.message}", err=True)
            return False
        if not slugs:
            click.echo(f"{server.url}: the token's user belongs to no organisation there: nothing to copy", err=True)
            return False
    ok = True
    for slug in slugs:
        try:
            outcome = pull_organisation(client, server, slug)
        except PinRefused as exc:
            field, _, message = str(exc).partition(": ")
            _error(field, message)
        source = MirrorSource.objects.select_related("organisation").get(slug=slug)
        click.echo(_describe(source, outcome), err=bool(outcome.error))
        ok = ok and not outcome.error
    return ok


def _describe(source: Any, outcome: Any) -> str:
    from ..mirror.status import as_of

    if outcome.error:
        kept = f"keeping the copy as of {as_of(source)}" if source.last_success_at else "there is no copy yet"
        return f"{outcome.slug}: the pull failed: {outcome.error}; {kept}"
    parts = [f"{outcome.slug}: copy as of {as_of(source)}"]
    if outcome.changed:
        parts.append("copied " + ", ".join(outcome.changed))
    parts.append(f"{outcome.unchanged} plan(s) unchanged")
    if outcome.gone:
        parts.append("no longer issued on the server (kept here): " + ", ".join(outcome.gone))
    return "; ".join(parts)


@click.command(name="mirror-key")
def mirror_key() -> None:
    """Print the public key laptop copies pin (the signing key is made on first use)."""
    _django()
    from ..lib.keys import KeyUnusable, fingerprint
    from ..mirror.signer import public_key

    try:
        public = public_key()
    except KeyUnusable as exc:
        _error("CONTINGENCY_MIRROR_KEY_FILE", str(exc))
    click.echo(public)
    click.echo(f"fingerprint {fingerprint(public)}", err=True)
