"""Telephone numbers, with Google's libphonenumber rules (the `phonenumbers` port): every national
and international format of the configured regions (`gateway.escalation.phone_regions`), trunk
prefixes such as `(0)`, and extensions (`x123`, `ext. 12`). A number counts when libphonenumber
calls it valid for its region; dates, times and amounts are not phone numbers there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers

from plugins.policy.recognisers import remaining


@dataclass(frozen=True)
class Phones:
    regions: tuple[str, ...]
    kind: str = "phone"
    reads: str = "numbers"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        seen: set[tuple[int, int]] = set()
        for region in self.regions or ("US",):
            remaining(deadline)
            for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
                if (match.start, match.end) not in seen:
                    seen.add((match.start, match.end))
                    yield match.start, match.end
