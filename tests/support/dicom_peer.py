"""A real DICOM peer on 127.0.0.1: pynetdicom's SCP answering C-ECHO, as an archive would.

`accept_verification=False` accepts associations but no presentation context for verification (the
probe must say so); `echo_status` is the status its C-ECHO answers with; the called AE title is
checked, so a probe calling the wrong title is rejected ("called AE title not recognised").
"""

from __future__ import annotations

import logging
from typing import Any, Self

from pynetdicom import AE, evt
from pynetdicom.sop_class import CTImageStorage, Verification  # type: ignore[attr-defined]

logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)


class DicomPeer:
    def __init__(
        self, ae_title: str = "MERIDIAN_PACS", *, accept_verification: bool = True, echo_status: int = 0
    ) -> None:
        self.ae_title = ae_title
        self.echo_status = echo_status
        self.echoes = 0
        self.ae = AE(ae_title=ae_title)
        self.ae.require_called_aet = True
        # Each probe round first opens and closes a bare TCP connection (the connect layer); pynetdicom
        # holds each such connection as an association until its ARTIM timer ends, so a test's rounds
        # would otherwise reach the default limit of 10 and see "Local limit exceeded".
        self.ae.maximum_associations = 100
        self.ae.add_supported_context(Verification if accept_verification else CTImageStorage)
        self._server: Any = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def _on_echo(self, event: Any) -> int:
        self.echoes += 1
        return self.echo_status

    def start(self) -> Self:
        self._server = self.ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_ECHO, self._on_echo)]
        )
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
