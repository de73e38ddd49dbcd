"""Recognisers: one per kind of sensitive value, each finding the spans of its kind in a text.

The shape follows Presidio's recognisers: a recogniser knows one kind (`kind`), which reading of the
request it looks at (`reads`: the whole text, or only the stretches that hold digits), and how to
find its values there (`find`, returning (start, end) spans). `policy/detect.py` runs the configured
ones over the readings of `policy/normalise.py`. An operator adds a kind with a regex under
`gateway.escalation.patterns`, or a module here listed in `BUILT_IN`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Protocol

from plugins.platform.settings import gateway_settings


class Recogniser(Protocol):
    @property
    def kind(self) -> str:
        """What the gateway reports, and what `gateway.escalation.actions` is keyed by."""

    @property
    def reads(self) -> str:
        """"text": every reading of the request; "numbers": the stretches holding digits, in every
        spelling, disguises (ROT13, reversed) included; "digits": the same without the disguises (bare
        numbers, which any reversed number could pass for); "written-numbers": those stretches as written."""

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]: ...


@functools.lru_cache(maxsize=1)
def configured() -> tuple[Recogniser, ...]:
    """The recognisers `gateway.escalation` turns on, in the order their kinds are reported."""
    from plugins.policy.recognisers import (
        addresses,
        cards,
        ids,
        names,
        national_ids,
        network,
        patterns,
        phones,
        secrets,
        spoken_numbers,
        wallets,
    )

    settings = gateway_settings("escalation")
    built_in: dict[str, Recogniser] = {
        "email": patterns.EMAIL, "us_ssn": national_ids.US_SSN, "iban": ids.IBAN,
        "es_dni": ids.ES_DNI, "es_nie": ids.ES_NIE, "credit_card": cards.CARDS,
        "phone": phones.Phones(tuple(settings["phone_regions"] or ())),
        "person": names.PERSON, "address": addresses.ADDRESS,
        "spoken_number": spoken_numbers.SPOKEN_NUMBERS,
        "national_id": national_ids.NATIONAL_ID, "tax_id": national_ids.TAX_ID, "health_id": national_ids.HEALTH_ID,
        "bank_account": national_ids.BANK_ACCOUNT, "passport": national_ids.PASSPORT,
        "driving_licence": national_ids.DRIVING_LICENCE,
        "secret": secrets.SECRETS, "crypto_address": wallets.CRYPTO,
        "ip_address": network.IP_ADDRESS, "mac_address": network.MAC_ADDRESS,  # off unless listed in kinds
    }
    kinds = settings["kinds"] or []
    unknown = [kind for kind in kinds if kind not in built_in]
    if unknown:
        raise ValueError(f"gateway.escalation.kinds: unknown {unknown}; known: {sorted(built_in)} "
                         "(add a regex kind under gateway.escalation.patterns)")
    chosen: list[Recogniser] = [built_in[kind] for kind in kinds]
    chosen += [patterns.Pattern(name, source) for name, source in (settings["patterns"] or {}).items()]
    keywords = settings["keywords"] or []
    if keywords:
        chosen.append(patterns.keywords(keywords))
    return tuple(chosen)
