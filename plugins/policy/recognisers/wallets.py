"""Crypto-currency addresses, each confirmed by its checksum: Bitcoin base58check (P2PKH `1...`, P2SH
`3...`: double SHA-256, python-stdnum's `stdnum.bitcoin`), Bitcoin bech32 (segwit v0, `bc1q...`) and
bech32m (taproot and later, `bc1p...`, BIP 350, which stdnum does not know), and Ethereum (`0x` + 40 hex).

An Ethereum address in mixed case carries its EIP-55 checksum (the case of each letter is a bit of the
address's Keccak-256 hash): it is reported when the checksum holds. All-lower or all-upper case carries
none: it counts as written, `0x` and exactly 40 hex digits holding letters and digits, unless a word
before it calls it a hash (sha1, digest, commit...). Git's commit hashes, also 40 hex digits, are
written without `0x`; longer hex runs (transaction hashes, keys) never match. Keccak-256 is not
`hashlib.sha3_256` (SHA-3 pads differently) and no Keccak package is installed, so it is written out
below (the Keccak team's compact form).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce

import regex
from stdnum import bitcoin

from plugins.policy.deadline import finditer

CANDIDATE = regex.compile(
    r"(?<![A-Za-z0-9])(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}"
    r"|0x[0-9a-fA-F]{40})(?![A-Za-z0-9])")
GATE = re.compile(r"[0-9A-Za-z]{26}")  # every address is a run this long: text without one is not searched
ETH_WORDS = regex.compile(r"(?i)\b(?:eth|ether|ethereum|wallet|address|addr|erc-?20|metamask|usdt|usdc|dai|"
                          r"polygon|matic|bnb|bsc|arbitrum|payout|deposit|recipient|beneficiary|wei|gwei)\w*")
HASH_WORDS = regex.compile(r"(?i)\b(?:sha-?1|sha|hash|digest|commit|checksum|fingerprint|ripemd|hmac|keccak|"
                           r"revision)\w*")
BECH32M = 0x2BC830A3
BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BC_PREFIX = [3, 3, 0, 2, 3]  # "bc" expanded for the checksum (BIP 173)


def _keccak_f(lanes: list[int]) -> list[int]:
    round_bits = 1
    for _ in range(24):
        columns = [reduce(int.__xor__, lanes[x::5]) for x in range(5)]
        mix = [columns[(x - 1) % 5] ^ _rotl(columns[(x + 1) % 5], 1) for x in range(5)]
        lanes = [lane ^ mix[index % 5] for index, lane in enumerate(lanes)]
        x, y, current = 1, 0, lanes[1]
        for step in range(24):  # rho and pi
            x, y = y, (2 * x + 3 * y) % 5
            rotation = (step + 1) * (step + 2) // 2
            current, lanes[x + 5 * y] = lanes[x + 5 * y], _rotl(current, rotation % 64)
        lanes = [lanes[index] ^ (~lanes[(index + 1) % 5 + index // 5 * 5] & lanes[(index + 2) % 5 + index // 5 * 5])
                 for index in range(25)]  # chi
        for bit in range(7):  # iota
            round_bits = ((round_bits << 1) ^ ((round_bits >> 7) * 0x71)) % 256
            if round_bits & 2:
                lanes[0] ^= 1 << ((1 << bit) - 1)
    return lanes


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & 0xFFFFFFFFFFFFFFFF if shift else value


def keccak256(data: bytes, suffix: int = 0x01) -> bytes:
    """Keccak-256 as Ethereum uses it (suffix 0x06 gives SHA3-256, which is how it is tested)."""
    rate = 136
    padded = bytearray(data) + bytes([suffix]) + bytes(-(len(data) + 1) % rate)
    padded[-1] |= 0x80
    lanes = [0] * 25
    for offset in range(0, len(padded), rate):
        for index in range(rate // 8):
            lanes[index] ^= int.from_bytes(padded[offset + 8 * index:offset + 8 * index + 8], "little")
        lanes = _keccak_f(lanes)
    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])


def eip55_valid(address: str) -> bool:
    """The mixed-case checksum of EIP-55: a letter is upper case where the hash's nibble is 8 or more."""
    digits = address[2:]
    hashed = keccak256(digits.lower().encode()).hex()
    return all(char.isdigit() or char.isupper() == (int(hashed[index], 16) >= 8) for index, char in enumerate(digits))


def bech32_valid(address: str) -> bool:
    """bc1 addresses: bech32 for witness version 0, bech32m for 1 and later; one case only."""
    if address != address.lower() and address != address.upper():
        return False
    address = address.lower()
    data = [BECH32_ALPHABET.index(char) for char in address[3:]]
    if not data or data[0] > 16 or not 14 <= len(address) <= 90:
        return False
    expected = 1 if data[0] == 0 else BECH32M
    if bitcoin.bech32_checksum(BC_PREFIX + data) != expected:
        return False
    try:
        program = bitcoin.b32decode(data[1:-6])
    except Exception:  # stdnum's InvalidComponent: padding left over
        return False
    return 2 <= len(program) <= 40 and (data[0] != 0 or len(program) in (20, 32))


def address_valid(value: str, before: str) -> bool:
    if value[:3] in ("bc1", "BC1"):
        return bech32_valid(value)
    if value.startswith("0x"):
        digits = value[2:]
        if len(set(digits.lower())) < 8:  # the zero address, 0xffff...: constants, not someone's wallet
            return False
        if digits != digits.lower() and digits != digits.upper():
            return eip55_valid(value)
        near = before[-48:]
        mixed = any(char.isdigit() for char in digits) and any(char.isalpha() for char in digits)
        return mixed and (ETH_WORDS.search(near) is not None or HASH_WORDS.search(near) is None)
    return bitcoin.is_valid(value)


@dataclass(frozen=True)
class CryptoAddresses:
    kind: str = "crypto_address"
    reads: str = "text"  # base58 and EIP-55 are case-sensitive: the upper-cased number readings would break them

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        if not GATE.search(text):
            return
        for match in finditer(CANDIDATE, text, deadline):
            if address_valid(match.group(0), text[max(0, match.start() - 48):match.start()]):
                yield match.span()


CRYPTO = CryptoAddresses()
