"""Street addresses (placeholder)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Addresses:
    kind: str = "address"
    reads: str = "text"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        return iter(())


ADDRESS = Addresses()
