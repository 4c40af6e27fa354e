"""C-ECHO, and each way talking to the archive fails, worded for a human; a failed run holds no buckets.

Orthanc answers the real refusals (wrong called AE title, an AE title it does not know, dropped mid-query
through its forwarder); small pynetdicom peers in this process play the archives Orthanc cannot imitate
(no accepted presentation context, a failure status, silence).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt

from contingency.downtime.archive import ArchiveError, Failure, echo, reconcile
from contingency.downtime.archive.dimse import STUDY_ROOT_FIND, VERIFICATION, DimseArchive

from ..support.orthanc import WINDOW_END, WINDOW_START, LoadedArchive


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_echo_answers_and_says_queries_are_allowed(archive: LoadedArchive):
    result = echo(archive.config())
    assert result.queries_allowed
    assert result.milliseconds > 0
    assert "ARCHIVE@127.0.0.1" in result.archive


def test_nothing_listening_is_connection_refused(archive: LoadedArchive):
    with pytest.raises(ArchiveError) as caught:
        echo(archive.config(port=_free_port()))
    assert caught.value.kind == Failure.REFUSED
    assert "Nothing is listening at 127.0.0.1:" in str(caught.value)
    assert "CONTINGENCY_ARCHIVE_PORT" in caught.value.hint


def test_a_wrong_called_ae_title_is_rejected_with_the_archives_reason(archive: LoadedArchive):
    with pytest.raises(ArchiveError) as caught:
        echo(archive.config(called_aet="NOT-THE-PACS"))
    error = caught.value
    assert error.kind == Failure.REJECTED
    assert "refused the association: Called AE title not recognised" in error.message
    assert "CONTINGENCY_ARCHIVE_CALLED_AET is 'NOT-THE-PACS'" in error.hint


def test_an_unknown_calling_ae_title_is_dropped_at_the_first_query_with_a_hint(archive: LoadedArchive):
    run = reconcile(
        archive.scenario.expected, archive.config(calling_aet="STRANGER"), start=WINDOW_START, end=WINDOW_END
    )
    assert not run.ok and run.matching is None
    assert run.failure is not None and run.failure.kind == Failure.ABORTED
    assert "may not allow queries from our AE title 'STRANGER'" in run.failure.hint
    assert run.to_json()["buckets"] == {} and run.to_json()["ok"] is False


def test_dropped_mid_query_is_a_failed_run_with_nothing_half_done(archive: LoadedArchive):
    forwarder = archive.orthanc.dicom
    assert forwarder is not None
    forwarder.drop_after(6_000)  # a few dozen answers into the first windows
    run = reconcile(archive.scenario.expected, archive.config(), start=WINDOW_START, end=WINDOW_END)
    assert run.failure is not None and run.failure.kind == Failure.ABORTED, run.failure
    assert "dropped the association during a query" in run.failure.message
    assert run.matching is None and run.counts == {}
    # and the archive is fine again for the next run
    assert reconcile(archive.scenario.expected, archive.config(), start=WINDOW_START, end=WINDOW_END).ok


# ------------------------------------------------------------------------------ peers Orthanc cannot imitate


class Peer:
    """A pynetdicom SCP on 127.0.0.1 with the given contexts and C-FIND handler."""

    def __init__(self, contexts: list[str], on_find=None) -> None:
        self.ae = AE(ae_title="PEER")
        for uid in contexts:
            self.ae.add_supported_context(uid)
        handlers: list[Any] = [(evt.EVT_C_FIND, on_find)] if on_find else []
        server = self.ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
        assert server is not None
        self.server = server
        self.port = int(server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def peer() -> Iterator[list[Peer]]:
    started: list[Peer] = []
    yield started
    for p in started:
        p.stop()


def _config(archive: LoadedArchive, port: int, **changes: object):
    return archive.config(port=port, called_aet="PEER", **changes)


def test_no_accepted_presentation_context_for_queries(archive: LoadedArchive, peer: list[Peer]):
    peer.append(Peer([VERIFICATION]))
    config = _config(archive, peer[0].port)
    assert echo(config).queries_allowed is False  # C-ECHO works; queries would not
    with pytest.raises(ArchiveError) as caught:
        DimseArchive(config).open()
    assert caught.value.kind == Failure.NO_CONTEXT
    assert "not Study Root C-FIND" in caught.value.message


def test_no_accepted_presentation_context_at_all(archive: LoadedArchive, peer: list[Peer]):
    peer.append(Peer(["1.2.840.10008.5.1.4.1.1.2"]))  # CT storage only
    with pytest.raises(ArchiveError) as caught:
        echo(_config(archive, peer[0].port))
    assert caught.value.kind == Failure.NO_CONTEXT
    assert "none of the services we asked for" in caught.value.message


def test_a_failure_status_is_named(archive: LoadedArchive, peer: list[Peer]):
    def refuse(event):
        status = Dataset()
        status.Status = 0xA700
        yield status, None

    peer.append(Peer([VERIFICATION, STUDY_ROOT_FIND], refuse))
    run = reconcile([], _config(archive, peer[0].port), start=WINDOW_START, end=WINDOW_END)
    assert run.failure is not None and run.failure.kind == Failure.STATUS
    assert "0xA700 (Failure: Refused: Out of Resources)" in run.failure.message


def test_a_query_with_no_answer_times_out(archive: LoadedArchive, peer: list[Peer]):
    release = threading.Event()

    def stall(event):
        release.wait()  # never answers until the test is over
        yield 0x0000, None

    peer.append(Peer([VERIFICATION, STUDY_ROOT_FIND], stall))
    try:
        run = reconcile([], _config(archive, peer[0].port, query_timeout=0.3), start=WINDOW_START, end=WINDOW_END)
    finally:
        release.set()
    assert run.failure is not None and run.failure.kind == Failure.TIMEOUT
    assert "did not answer a query within 0.3 s" in run.failure.message
    assert "CONTINGENCY_ARCHIVE_QUERY_TIMEOUT" in run.failure.hint


def test_a_silent_server_times_out_the_association(archive: LoadedArchive):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection (the kernel does) but never says a word
    try:
        with pytest.raises(ArchiveError) as caught:
            echo(_config(archive, int(listener.getsockname()[1]), connect_timeout=0.3))
    finally:
        listener.close()
    assert caught.value.kind == Failure.TIMEOUT
    assert "did not answer the association request within 0.3 s" in caught.value.message


def test_tls_to_an_archive_that_does_not_speak_it(archive: LoadedArchive):
    with pytest.raises(ArchiveError) as caught:
        echo(archive.config(tls=True, connect_timeout=5))
    assert caught.value.kind == Failure.TLS
    assert "The TLS handshake with 127.0.0.1:" in caught.value.message
    assert "CONTINGENCY_ARCHIVE_TLS_CA_FILE" in caught.value.hint
