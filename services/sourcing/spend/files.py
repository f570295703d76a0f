"""Spend files on disk: a request body streamed to a temporary file under the cap, then kept
under its SHA-256 (the same bytes are stored once), in a folder no web root serves."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from services.common.errors import AppError

MIB = 1024 * 1024


class SpendFileTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Fichier trop volumineux"


@dataclass(frozen=True)
class ReceivedFile:
    path: Path
    size: int
    sha256: str


class SpendFileStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, stored: str) -> Path:
        # Stored names are ours (hex digests); anything else never reaches the file system.
        if not (stored.isalnum() and stored.isascii()):
            raise ValueError("invalid stored file name")
        return self.directory / stored

    async def receive(self, chunks: AsyncIterator[bytes], limit: int) -> ReceivedFile:
        """The body written to a temporary file as it comes, hashed on the way; refused (413)
        as soon as it exceeds `limit`, the partial file removed."""
        await anyio.to_thread.run_sync(
            lambda: self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        )
        partial = self.directory / f"{secrets.token_hex(16)}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            async with await anyio.open_file(partial, "xb") as handle:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise SpendFileTooLarge(
                            f"Le fichier dépasse {limit // MIB} Mio : découpez-le (par exemple "
                            "par semestre) ou retirez les colonnes inutiles."
                        )
                    digest.update(chunk)
                    await handle.write(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return ReceivedFile(partial, size, digest.hexdigest())

    def keep(self, received: ReceivedFile) -> str:
        """The received file kept under its digest; its stored name."""
        target = self.path(received.sha256)
        if target.exists():
            received.path.unlink(missing_ok=True)
        else:
            os.chmod(received.path, 0o600)
            received.path.replace(target)
        return received.sha256

    @staticmethod
    def discard(received: ReceivedFile) -> None:
        received.path.unlink(missing_ok=True)
