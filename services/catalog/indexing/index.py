"""The catalog's one search engine object: the index it writes (settings first, then documents),
and every other call the catalog makes to the engine, each with the engine's errors mapped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError

from services.catalog.indexing.settings import index_settings
from services.common.search_engine import engine_errors
from services.common.settings import PROJECT_ROOT

TASK_TIMEOUT_MS = 120_000


class IndexTaskFailed(RuntimeError):
    pass


class SearchIndexWriter:
    def __init__(
        self, client: AsyncClient, uid: str, data_dir: Path = PROJECT_ROOT / "data"
    ) -> None:
        self.client = client
        self.uid = uid
        self.settings = index_settings(data_dir)
        self._settings_applied = False

    async def _wait(self, task_uid: int) -> None:
        with engine_errors():
            result = await self.client.wait_for_task(task_uid, timeout_in_ms=TASK_TIMEOUT_MS)
        if result.status != "succeeded":
            raise IndexTaskFailed(f"index task {task_uid} {result.status}: {result.error}")

    async def _create_if_missing(self, uid: str) -> None:
        with engine_errors():
            try:
                await self.client.get_index(uid)
            except MeilisearchApiError as exc:
                if exc.status_code != 404:
                    raise
                await self.client.create_index(uid, primary_key="id", wait=True)

    async def health(self) -> None:
        with engine_errors():
            await self.client.health()

    async def ensure_ready(self, uid: str | None = None) -> None:
        """Creates the index if needed and applies the declared settings (idempotent)."""
        target = uid or self.uid
        if uid is None and self._settings_applied:
            return
        await self._create_if_missing(target)
        with engine_errors():
            task = await self.client.index(target).update_settings(self.settings)
        await self._wait(task.task_uid)
        if uid is None:
            self._settings_applied = True

    async def write(
        self, documents: list[dict[str, Any]], removed_ids: list[int], uid: str | None = None
    ) -> None:
        """Upserts and deletes, each waited for: a change counts as indexed once this returns."""
        await self.ensure_ready(uid)
        index = self.client.index(uid or self.uid)
        if documents:
            with engine_errors():
                task = await index.add_documents(documents, primary_key="id")
            await self._wait(task.task_uid)
        if removed_ids:
            with engine_errors():
                task = await index.delete_documents([str(i) for i in removed_ids])
            await self._wait(task.task_uid)

    async def enqueue(self, documents: list[dict[str, Any]], uid: str) -> int:
        """Queues an upsert without waiting for it: the engine batches queued additions
        together while the caller prepares the next ones. Returns the task to `settle`."""
        with engine_errors():
            task = await self.client.index(uid).add_documents(documents, primary_key="id")
        return task.task_uid

    async def settle(self, task_uids: list[int]) -> None:
        """Waits for queued tasks, in order; the first that failed raises."""
        for task_uid in task_uids:
            await self._wait(task_uid)

    async def document_count(self) -> int:
        with engine_errors():
            try:
                stats = await self.client.index(self.uid).get_stats()
            except MeilisearchApiError as exc:
                if exc.status_code == 404:
                    return 0
                raise
        return stats.number_of_documents

    async def documents(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """A page of the live index's documents, and how many it holds in all."""
        with engine_errors():
            page = await self.client.index(self.uid).get_documents(offset=offset, limit=limit)
        return page.results, page.total

    async def swap_in(self, new_uid: str) -> None:
        """Atomically makes `new_uid` the live index, then drops the old content."""
        await self._create_if_missing(self.uid)
        with engine_errors():
            task = await self.client.swap_indexes([(self.uid, new_uid)])
        await self._wait(task.task_uid)
        with engine_errors():
            await self.client.delete_index_if_exists(new_uid)
        self._settings_applied = True

    async def aclose(self) -> None:
        await self.client.aclose()
