"""The embedding engine: the configured models, their loading, and `embed()` for the provider.

Each model has one worker thread: loading and every forward pass of that model run there, in
order, so a model is never used before it has loaded and never runs two batches at once (which
on a GPU would only contend for the same memory). The event loop only queues and waits.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedding_server.batcher import MicroBatcher
from embedding_server.device import Runtime, apply_runtime, resolve_runtime
from embedding_server.errors import InvalidInput, ModelUnavailable, UnknownModel
from embedding_server.inputs import RawInput, classify_inputs
from embedding_server.models import EmbeddingModel, family_of, require_weights, weights_present
from embedding_server.settings import EmbeddingSettings, ModelSpec


@dataclass(frozen=True)
class EmbeddingResult:
    """Vectors (float32, one row per input, in input order) and what they cost."""

    model: str
    vectors: np.ndarray
    prompt_tokens: int

    @property
    def dimensions(self) -> int:
        return int(self.vectors.shape[1])


class ModelSlot:
    """One configured model: family, load state, worker thread and one batcher per modality."""

    def __init__(self, spec: ModelSpec, runtime: Callable[[], Runtime], retry_load_after_s: float) -> None:
        self.spec = spec
        self.family = family_of(spec)
        self._runtime = runtime
        self._retry_after = retry_load_after_s
        self.model: EmbeddingModel | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"embedding-{spec.name}")
        self._lock = threading.Lock()
        self._load: Future | None = None
        self._failed_at = 0.0
        self.batchers = {
            kind: MicroBatcher(spec.name, functools.partial(self._run_batch, kind), self.executor, spec.batching)
            for kind in self.family.modalities
        }

    def start_loading(self) -> Future:
        """Load in the worker thread (once; again after retry_load_after_s if it failed)."""
        with self._lock:
            failed = self._load is not None and self._load.done() and self._load.exception() is not None
            if self._load is None or (failed and time.monotonic() - self._failed_at >= self._retry_after):
                self._load = self.executor.submit(self._load_model)
            return self._load

    def _load_model(self) -> EmbeddingModel:
        try:
            require_weights(self.spec)  # before the runtime, which imports torch
            runtime = self._runtime()
            model = self.family(self.spec, runtime)
            model.load()
        except ModelUnavailable:
            self._failed_at = time.monotonic()
            raise
        except Exception as error:  # e.g. out of GPU memory, bad device setting
            self._failed_at = time.monotonic()
            raise ModelUnavailable(
                f"Embedding model '{self.spec.name}' ({self.spec.source}) failed to load: "
                f"{type(error).__name__}: {error}"
            ) from error
        self.model = model
        return model

    async def ready(self) -> EmbeddingModel:
        """The loaded model, loading it first if needed, without blocking the event loop."""
        if self.model is not None:
            return self.model
        try:
            return await asyncio.wrap_future(self.start_loading())
        except ModelUnavailable as error:
            raise ModelUnavailable(error.message) from None

    @property
    def load_error(self) -> str | None:
        load = self._load
        if load is None or not load.done() or load.exception() is None:
            return None
        return str(load.exception())

    @property
    def state(self) -> str:
        """loaded | loading | failed | not loaded (lazy, weights here) | missing (lazy, weights not here)."""
        if self.model is not None:
            return "loaded"
        if self.load_error:
            return "failed"
        if self._load is not None:
            return "loading"
        return "not loaded" if weights_present(self.spec.source) else "missing"

    def _run_batch(self, modality: str, items: list[Any]) -> list[tuple[np.ndarray, int]]:
        assert self.model is not None
        vectors, tokens = self.model.embed_batch(modality, items)
        return list(zip(vectors, tokens, strict=True))

    def describe(self, runtime: Runtime | None) -> dict[str, Any]:
        batching = self.spec.batching
        info = {
            "model": self.spec.name,
            "modality": self.family.modalities[0],
            "modalities": list(self.family.modalities),
            "family": self.spec.family,
            "source": self.spec.source,
            "dimensions": self.model.dimensions if self.model else self.spec.dimensions,
            "device": runtime.device if runtime else None,
            "dtype": runtime.dtype if runtime else None,
            "loaded": self.model is not None,
            "status": "loaded" if self.model else ("failed" if self.load_error else (
                "loading" if self._load is not None else "not loaded")),
            "batching": {"max_batch_size": batching.max_batch_size, "max_wait_ms": batching.max_wait_ms,
                         "max_queue_items": batching.max_queue_items},
            "batches": {modality: batcher.stats.as_dict() for modality, batcher in self.batchers.items()},
        }
        if self.load_error:
            info["error"] = self.load_error
        return info


class EmbeddingEngine:
    """All configured models of this process, and the one entry point that embeds inputs."""

    def __init__(self, settings: EmbeddingSettings, runtime: Runtime | None = None) -> None:
        self.settings = settings
        self._runtime = runtime
        self._runtime_lock = threading.Lock()
        self.slots = {
            name: ModelSlot(spec, self.runtime, settings.retry_load_after_s) for name, spec in settings.models.items()
        }

    def runtime(self) -> Runtime:
        """Resolved on first use (it imports torch), then applied once to the process."""
        with self._runtime_lock:
            if self._runtime is None:
                s = self.settings
                self._runtime = resolve_runtime(s.device, s.dtype, cpu_threads=s.cpu_threads)
                apply_runtime(self._runtime)
            return self._runtime

    def start_background_loading(self) -> None:
        """Begin loading every model in its worker thread; requests arriving meanwhile wait for it."""
        for slot in self.slots.values():
            slot.start_loading()

    def slot(self, model: str) -> ModelSlot:
        try:
            return self.slots[model]
        except KeyError:
            raise UnknownModel(
                f"No embedding model '{model}' in gateway.embeddings.models (configured: {', '.join(self.slots)})."
            ) from None

    async def embed(self, model: str, raw: Any, modality: str | None = None, normalize: bool = True) -> EmbeddingResult:
        """Embed a request's input (string, list, data URIs, base64, bytes) with one model."""
        if not self.settings.enabled:
            raise ModelUnavailable(f"Embedding model '{model}' is not served by this instance "
                                   "(gateway.embeddings.enabled: false): point the group at an embedding host "
                                   "(docs/SCALING.md).")
        slot = self.slot(model)
        items = classify_inputs(raw, modality, max_items=self.settings.max_items_per_request,
                                max_item_bytes=self.settings.max_item_bytes)
        for index, item in enumerate(items):
            if item.modality not in slot.family.modalities:
                raise InvalidInput(
                    f"Model '{model}' embeds {' and '.join(slot.family.modalities)}; input[{index}] is {item.modality}."
                )
        loaded = await slot.ready()
        # Inputs are decoded and queued one window at a time: a 2048-image request never holds more than
        # a window of decoded images, and never asks the model's queue for more room than it has.
        window = self.window_size(slot)
        rows: list[Any] = []
        for start in range(0, len(items), window):
            rows.extend(await self._embed_window(slot, loaded, items[start:start + window], start))
        vectors = np.stack([vector for vector, _ in rows]).astype(np.float32, copy=False)
        if normalize:
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return EmbeddingResult(model=model, vectors=vectors, prompt_tokens=sum(tokens for _, tokens in rows))

    @staticmethod
    def window_size(slot: ModelSlot) -> int:
        """Inputs decoded and queued at once: a few forward passes' worth, within the model's queue."""
        batching = slot.spec.batching
        return max(1, min(batching.max_queue_items, max(4 * batching.max_batch_size, 64)))

    async def _embed_window(self, slot: ModelSlot, loaded: EmbeddingModel, items: list[RawInput],
                            offset: int) -> list[Any]:
        """(vector, tokens) of each input of one window, in order."""
        if all(item.modality == "text" for item in items):
            prepared = self._prepare(loaded, items, offset)
        else:  # decoding images/audio is CPU work: keep it off the event loop
            prepared = await asyncio.to_thread(self._prepare, loaded, items, offset)
        by_modality: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            by_modality.setdefault(item.modality, []).append(index)
        outputs = await asyncio.gather(*(
            slot.batchers[kind].submit([prepared[i] for i in indexes]) for kind, indexes in by_modality.items()
        ))
        rows: list[Any] = [None] * len(items)
        for indexes, results in zip(by_modality.values(), outputs, strict=True):
            for index, result in zip(indexes, results, strict=True):
                rows[index] = result
        return rows

    def _prepare(self, model: EmbeddingModel, items: list[RawInput], offset: int = 0) -> list[Any]:
        s = self.settings
        return [model.prepare(item, offset + index, s.max_item_bytes, s.max_image_pixels)
                for index, item in enumerate(items)]

    def describe(self) -> list[dict[str, Any]]:
        """Model, modality, dimensions, device, dtype, load state and batch counters of every model."""
        runtime = self._runtime
        if runtime is None:
            try:
                runtime = self.runtime()
            except ValueError:
                runtime = None
        return [slot.describe(runtime) for slot in self.slots.values()]

    def shutdown(self) -> None:
        for slot in self.slots.values():
            slot.executor.shutdown(wait=False, cancel_futures=True)
