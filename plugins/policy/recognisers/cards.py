"""Payment card numbers: 12 to 19 digits, as people write them (groups split by spaces, dashes or dots),
that pass the Luhn check and start with an issuer's number range at one of the issuer's lengths. A
shorter number (12-15 digits: Maestro, Amex, Diners) introduced as an order or invoice is not a card, nor
one of 12-14 digits that starts inside a word ("amd64 2.7.6-7" with a date after it, read joined)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import finditer
from plugins.policy.recognisers.context import introduced_as_reference

# Issuer identification numbers (first digits) and the lengths each issuer uses (ISO/IEC 7812 registry
# as the networks publish it): Visa, Mastercard (51-55 and the 2-series), American Express, Diners Club,
# Discover, JCB (and its old 15-digit 1800/2131), Maestro, UnionPay, Mir, RuPay, Troy, Verve.
ANY_LENGTH = tuple(range(12, 20))
ISSUERS: tuple[tuple[tuple[str, str], tuple[int, ...]], ...] = (
    (("4", "4"), (13, 16, 19)),
    (("51", "55"), (16,)), (("2221", "2720"), (16,)),
    (("34", "34"), (15,)), (("37", "37"), (15,)),
    (("300", "305"), (14, 16, 17, 18, 19)), (("36", "36"), (14, 15, 16, 17, 18, 19)),
    (("38", "39"), (14, 16, 17, 18, 19)),
    (("6011", "6011"), (16, 17, 18, 19)), (("644", "649"), (16, 17, 18, 19)), (("65", "65"), (16, 17, 18, 19)),
    (("35", "35"), (15, 16, 17, 18, 19)), (("1800", "1800"), (15,)), (("2131", "2131"), (15,)),
    (("50", "50"), ANY_LENGTH), (("56", "69"), ANY_LENGTH), (("0604", "0604"), ANY_LENGTH),
    (("62", "62"), (16, 17, 18, 19)), (("2200", "2204"), (16, 17, 18, 19)), (("81", "82"), (16,)),
    (("9792", "9792"), (16,)),
)
# Digit groups with at most one separator between them: a run of them holds the candidates.
GROUPS = regex.compile(r"(?<![\d])\d+(?:[ \-.\u00a0]\d+)*(?!\d)")


def luhn_valid(digits: str) -> bool:
    numbers = [int(char) for char in digits]
    total = sum(numbers[-1::-2]) + sum(sum(divmod(2 * digit, 10)) for digit in numbers[-2::-2])
    return total % 10 == 0


def issued(digits: str) -> bool:
    """Whether a card issuer uses this number's first digits at this length."""
    for (low, high), lengths in ISSUERS:
        if len(digits) in lengths and low <= digits[:len(low)] <= high:
            return True
    return False


def is_card(digits: str) -> bool:
    return 12 <= len(digits) <= 19 and issued(digits) and luhn_valid(digits)


@dataclass(frozen=True)
class Cards:
    kind: str = "credit_card"
    reads: str = "digits"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        """Within a run of digit groups, every stretch of whole groups that is a card number (a card
        next to a CVV or an expiry date is still found; digits are never cut mid-group)."""
        for run in finditer(GROUPS, text, deadline):
            groups = [(match.start(), match.end()) for match in regex.finditer(r"\d+", run.group(0))]
            offset = run.start()
            for first in range(len(groups)):
                digits = ""
                for last in range(first, len(groups)):
                    digits += run.group(0)[groups[last][0]:groups[last][1]]
                    if len(digits) > 19 or groups[last][1] - groups[last][0] < 3 < len(digits):
                        break  # no card is written with a group of one or two digits (dates and times are)
                    start = offset + groups[first][0]
                    glued = len(digits) < 15 and text[start - 1:start].isalpha()
                    if is_card(digits) and not glued and (len(digits) >= 16 or not introduced_as_reference(
                            text[max(0, start - 20):start])):
                        yield start, offset + groups[last][1]
                        break


CARDS = Cards()
