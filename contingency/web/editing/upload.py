"""Reading an uploaded or pasted plan file into text, refusing what cannot be a plan (pure)."""

from __future__ import annotations

from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 2 * 1024 * 1024
PASTED_NAME = "pasted.yaml"


class UploadRefused(Exception):
    """The upload is not plan text at all; the message says why."""


def decode(raw: bytes, name: str) -> str:
    """The text of a plan file: UTF-8 (a byte-order mark is allowed), at most 2 MB."""
    if len(raw) > MAX_BYTES:
        raise UploadRefused(f"{name} is {len(raw) / 1024 / 1024:.1f} MB: a plan file may be at most 2 MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRefused(
            f"{name} is not UTF-8 text (byte {exc.start + 1} cannot be read): save the file as UTF-8 and try again"
        ) from None


def read_upload(file: UploadedFile | None, pasted: str) -> tuple[str, str]:
    """(file name, text) from the file input, or else from the pasted text."""
    if file is not None:
        name = PurePath(file.name or "").name or "upload.yaml"
        if file.size is not None and file.size > MAX_BYTES:
            raise UploadRefused(f"{name} is {file.size / 1024 / 1024:.1f} MB: a plan file may be at most 2 MB")
        return name, decode(file.read(MAX_BYTES + 1), name)
    if not pasted.strip():
        raise UploadRefused("choose a plan file, or paste the plan's YAML into the text box")
    return PASTED_NAME, decode(pasted.replace("\r\n", "\n").encode("utf-8"), PASTED_NAME)
