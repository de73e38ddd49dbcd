"""Addresses on a network: IP addresses (v4 and v6, checked with the standard library's `ipaddress`) and
MAC addresses. Both kinds are off unless an operator lists them in `gateway.escalation.kinds`: an IP
address is personal data next to a person, but logs and configuration are full of them.

Not reported as an IP address: loopback, unspecified and broadcast addresses, netmasks (255.255.255.0),
a dotted number after a version word ("version 1.2.3.4"), and IPv6 shorthands with fewer than three
groups (`a::b` is C++ as often as an address). Not reported as a MAC: all zeros and the broadcast
address. `address_around` tells the phone recogniser that digits belong to one of these.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import finditer

IPV4 = regex.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)")
# Hex groups and colons with at least two colons, an IPv4 tail (::ffff:192.0.2.1) and a zone (%eth0).
IPV6 = regex.compile(r"(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}"
                     r"(?:%[\w.]+)?(?![\w:])")
MAC = regex.compile(r"(?<![\w:.\-])(?:[0-9A-Fa-f]{2}([:\-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}"
                    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:\-]|\.\w)")
# Two groups of a MAC, found from a separator (a literal the engine skips to): text without one is not searched.
MAC_GATE = re.compile(r"[:\-](?<=[0-9A-Fa-f]{2}[:\-])[0-9A-Fa-f]{2}[:\-]|\.(?<=[0-9A-Fa-f]{4}\.)[0-9A-Fa-f]{4}\.")
VERSION_WORD = regex.compile(r"(?i)(?:\b(?:version|versión|versione|release|build|ver|rev|v)\.?:?\s*)$")
NOT_MAC = {"000000000000", "ffffffffffff"}


def ipv4_reported(value: str, before: str = "") -> bool:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    if address.is_loopback or address.is_unspecified or value == "255.255.255.255":
        return False
    if value.startswith("255.") or value.endswith(".0.0.0"):  # a netmask, not a host
        try:
            ipaddress.IPv4Network(f"0.0.0.0/{value}")
            return False
        except ValueError:
            pass
    return VERSION_WORD.search(before[-12:]) is None


def ipv6_reported(value: str) -> bool:
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    groups = [group for group in value.split("%")[0].split(":") if group]
    groups += groups[-1:] if groups and "." in groups[-1] else []  # an IPv4 tail is two groups
    return not (address.is_loopback or address.is_unspecified) and len(groups) >= 3


def mac_reported(value: str) -> bool:
    return regex.sub(r"[:.\-]", "", value).lower() not in NOT_MAC


@dataclass(frozen=True)
class IPAddresses:
    kind: str = "ip_address"
    reads: str = "text"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        v6_ends: set[int] = set()
        if "::" in text or text.count(":") >= 7:
            for match in finditer(IPV6, text, deadline):
                if ipv6_reported(match.group(0)):
                    v6_ends.add(match.end())
                    yield match.span()
        if "." in text:
            for match in finditer(IPV4, text, deadline):
                before = text[max(0, match.start() - 12):match.start()]
                if match.end() not in v6_ends and ipv4_reported(match.group(0), before):
                    yield match.span()


@dataclass(frozen=True)
class MACAddresses:
    kind: str = "mac_address"
    reads: str = "text"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        if not MAC_GATE.search(text):
            return
        for match in finditer(MAC, text, deadline):
            if mac_reported(match.group(0)):
                yield match.span()


IP_ADDRESS = IPAddresses()
MAC_ADDRESS = MACAddresses()
_RUN = regex.compile(r"[0-9A-Fa-f:.\-%]{0,45}")


def address_around(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside an IP address (a port after it allowed), a netmask or a MAC address
    (whether or not those kinds are reported): digits that are never a phone number."""
    left = start
    while left > max(0, start - 45) and text[left - 1] in "0123456789abcdefABCDEF:.-%":
        left -= 1
    run = text[left:end + len(_RUN.match(text, end).group(0))].strip(".:-")
    for candidate in (run, regex.sub(r":\d{1,5}$", "", run)):
        if MAC.fullmatch(candidate) or _is_ip(candidate):
            return True
    return False


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
