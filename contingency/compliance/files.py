"""What an evidence file may be (pure): a document or picture of bounded size whose content is what its name says.

The name's extension decides the type, and the first bytes must agree with it, so a renamed program
or an HTML page posing as a PDF is refused. The file is only ever served back as a download
(Content-Disposition: attachment, nosniff), never shown inline.
"""

from __future__ import annotations

import re
from pathlib import PurePath

MAX_BYTES = 5 * 1024 * 1024
MAX_NAME = 120

# extension: (content type, the bytes the file starts with; None for text, which must be UTF-8 without NULs)
TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
}


class FileRefused(Exception):
    """The file cannot be kept as evidence; the message says why."""


def safe_name(name: str) -> str:
    """The file's own name, without any folder, with only plain characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")
    if len(cleaned) > MAX_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = stem[: MAX_NAME - len(ext) - 1] + dot + ext if dot else cleaned[:MAX_NAME]
    return cleaned or "evidence"


def check(name: str, data: bytes) -> tuple[str, str]:
    """(safe file name, content type) of an acceptable evidence file; FileRefused otherwise."""
    shown = safe_name(name)
    if not data:
        raise FileRefused(f"{shown} is empty: choose the file that shows the evidence")
    if len(data) > MAX_BYTES:
        raise FileRefused(f"{shown} is {len(data) / 1024 / 1024:.1f} MB: an evidence file may be at most 5 MB")
    extension = shown.rpartition(".")[2].lower() if "." in shown else ""
    if extension not in TYPES:
        allowed = ", ".join(sorted(TYPES))
        raise FileRefused(f"{shown} is not a kind of file kept as evidence: use one of {allowed}")
    content_type, starts = TYPES[extension]
    if starts is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRefused(f"{shown} is not UTF-8 text") from None
        if "\x00" in text:
            raise FileRefused(f"{shown} is not plain text")
    elif not data.startswith(starts):
        raise FileRefused(f"{shown} does not look like a .{extension} file: its content is something else")
    return shown, content_type
