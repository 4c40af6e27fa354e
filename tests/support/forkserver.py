"""A process that imports Contingency once for one install and forks a child for each command run on it.

    python tests/support/forkserver.py [--no-django]   # environment: the install's; requests on standard input
    commands = Commands(env); commands.run("cli", ("mirror-key",)); commands.close()   # from a test

Starting `contingency` costs about a second of CPU, most of it imports (Django's apps, the API's schemas);
the command itself is often a tenth of that. The laptop-copy tests run dozens of short commands on the same
few installs, so each install gets one of these (`tests/support/installs.py`): the child of a fork starts
with everything imported, runs the command exactly as the console script would (the install's environment,
its own standard output and error, its exit code) and ends. Nothing is done in this process that a child
could inherit and share: no database connection, no thread. With `--no-django` it imports only what the
console script does before a command runs (for a site's probe, which has no database or settings).

One request per line (JSON): {"kind": "cli" | "seed", "args": [...]}; one answer per line:
{"code": N, "out": "...", "err": "..."}. The process ends when its standard input closes.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
PROG = "python -m contingency.cli"  # as click names the program when run that way


def _exit_code(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)  # sys.exit("message"), as the interpreter would print it
    return 1


def _child(request: dict[str, Any], out: int, err: int) -> None:
    """In the forked child: run the command with its output in `out` and `err`; never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # the requests are the parent's; a command reads nothing
        os.dup2(out, 1)
        os.dup2(err, 2)
        random.seed()  # each child its own sequence, as a new process would have
        if request["kind"] == "seed":
            from tests.support import mirror_seed

            sys.argv = [str(mirror_seed.__file__), *request["args"]]
            mirror_seed.main()
            code = 0
        else:
            from contingency.cli import main

            main(args=list(request["args"]), prog_name=PROG)
            code = 0
    except SystemExit as stop:
        code = _exit_code(stop.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream: nothing more to say
                stream.flush()
        os._exit(code)


def _run(request: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request, out.fileno(), err.fileno())
        _, status = os.waitpid(pid, 0)
        answers = []
        for kept in (out, err):
            kept.seek(0)
            answers.append(kept.read().decode("utf-8", "replace"))
    return {"code": os.waitstatus_to_exitcode(status), "out": answers[0], "err": answers[1]}


def main() -> None:
    import contingency.cli  # every command group

    if "--no-django" in sys.argv:
        # What a site's probe imports when it runs.
        import pynetdicom  # noqa: F401

        import contingency.lib.probesign
        import contingency.monitor.checks
        import contingency.monitor.probe
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
        import django

        django.setup()
        # What the laptop's commands import when they run, and the seeding script.
        import contingency.mirror.pull  # noqa: F401
        import tests.support.mirror_seed  # noqa: F401

    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing printed here can be taken for an answer
    for line in sys.stdin:
        answers.write(json.dumps(_run(json.loads(line))) + "\n")
        answers.flush()


class Commands:
    """From a test: one fork server for one environment, started at the first command."""

    def __init__(self, env: dict[str, str], *, django: bool = True) -> None:
        self.env = env
        self.django = django
        self._server: subprocess.Popen[str] | None = None

    def run(self, kind: str, args: tuple[str, ...] | list[str]) -> subprocess.CompletedProcess[str]:
        """Run one command ("cli": `contingency ARGS`; "seed": tests/support/mirror_seed.py ARGS) to its end."""
        if self._server is None or self._server.poll() is not None:
            self._server = subprocess.Popen(
                [sys.executable, __file__, *([] if self.django else ["--no-django"])],
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        assert self._server.stdin is not None and self._server.stdout is not None
        self._server.stdin.write(json.dumps({"kind": kind, "args": list(args)}) + "\n")
        self._server.stdin.flush()
        line = self._server.stdout.readline()
        assert line, f"the command process ended (exit {self._server.wait()}) running {kind} {list(args)}"
        answer = json.loads(line)
        return subprocess.CompletedProcess([kind, *args], answer["code"], answer["out"], answer["err"])

    def close(self) -> None:
        """End the fork server (a later command starts another)."""
        if self._server is not None:
            assert self._server.stdin is not None
            self._server.stdin.close()
            self._server.wait()
            self._server = None


if __name__ == "__main__":
    main()
