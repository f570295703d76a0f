"""Files sent as raw request bodies: read up to a cap, kept outside the web root under random
names. Claim proofs and the structures' images share this plumbing."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from services.common.errors import AppError

MIB = 1024 * 1024


@dataclass(frozen=True)
class UploadedDocument:
    content: bytes
    declared_type: str | None


@dataclass(frozen=True)
class StoredFile:
    name: str
    media_type: str
    size: int
    sha256: str


async def read_capped(
    request: Request, limit: int, too_large: Callable[[], AppError]
) -> UploadedDocument:
    """The raw body, refused as soon as it exceeds the limit: never held beyond it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return UploadedDocument(b"".join(chunks), request.headers.get("content-type"))


class FileStore:
    """A folder of files named at random by us; nothing of the sender's name is kept."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        # Names are ours (hex); anything else never reaches the file system.
        if not name.isalnum():
            raise ValueError("invalid file name")
        return self.directory / name

    def save(self, content: bytes, media_type: str) -> StoredFile:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = secrets.token_hex(16)
        path = self._path(name)
        partial = path.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        partial.replace(path)
        return StoredFile(name, media_type, len(content), hashlib.sha256(content).hexdigest())

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def remove(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
