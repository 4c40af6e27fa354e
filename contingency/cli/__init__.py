"""The `contingency` command line: everything an operator scripts.

One module per command group; this one only gathers them. Exit codes: 0 success; 1 lint found
errors; 2 bad input (invalid plan, bad argument, missing file) with nothing written.
"""

from __future__ import annotations

import click

from .. import __version__
from .archive import archive
from .compliance import compliance
from .downtime import downtime
from .exercises import exercise
from .incidents import incident
from .mirror import mirror, mirror_key
from .notify import notify
from .packs import pack
from .plans import plan
from .probe import probe_command, probes
from .server import demo, manage, migrate, serve, worker_command
from .suppliers import kpi, supplier
from .users import user

__all__ = ["main"]


@click.group()
@click.version_option(__version__, package_name="contingency")
def main() -> None:
    """Contingency: business continuity and disaster recovery plans that run."""


for command in (
    plan,
    incident,
    exercise,
    supplier,
    kpi,
    downtime,
    notify,
    pack,
    mirror,
    mirror_key,
    user,
    probe_command,
    probes,
    compliance,
    migrate,
    demo,
    serve,
    worker_command,
    manage,
):
    main.add_command(command)
for name, command in archive.commands.items():  # echo, reconcile, cd, demo-archive
    downtime.add_command(command, name)
