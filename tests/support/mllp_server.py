"""A real MLLP listener on 127.0.0.1: reads each framed HL7 v2 message and answers an ACK (MSA|AA, or AE).

`answer` decides per message: "AA", "AE" (with a text), "silent" (reads and never answers) or
"close" (hangs up without answering). Every message received is kept in `received`.
"""

from __future__ import annotations

import socket
import threading
from typing import Self

START, END = b"\x0b", b"\x1c\x0d"


def ack_for(message: str, code: str, text: str = "") -> str:
    fields = message.split("\r")[0].split("|")
    control = fields[9] if len(fields) > 9 else ""
    header = f"MSH|^~\\&|RIS|NGH|{fields[2] if len(fields) > 2 else ''}|{fields[3] if len(fields) > 3 else ''}|20260101120000||ACK|A{control}|P|2.5"
    return header + f"\rMSA|{code}|{control}" + (f"|{text}" if text else "")


class MllpServer:
    def __init__(self, answer: str = "AA", text: str = "") -> None:
        self.answer = answer
        self.text = text
        self.received: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def start(self) -> Self:
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        data = b""
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                data += chunk
                while END in data:
                    frame, data = data[: data.find(END)], data[data.find(END) + len(END) :]
                    message = frame.lstrip(START).decode("utf-8", "replace")
                    self.received.append(message)
                    if self.answer == "close":
                        return
                    if self.answer == "silent":
                        continue
                    conn.sendall(START + ack_for(message, self.answer, self.text).encode() + END)

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
