"""Which values next to a credential's name are credentials: a literal of real-looking strength, not a
placeholder, a reference or code.

A password (assigned in code, config or a URL, or said in prose) counts when it is at least 8 characters
(6 in prose and URLs), has no spaces, and mixes letters with digits, or has three of lower case, upper
case, digits and symbols other than `_-.`; a letters-only value only when it is long and random-looking (20+, mixed case
that is not camelCase). Digits alone count only in prose ("my PIN is 482913"). Never: placeholders
(`changeme`, `<your-api-key>`, `xxxxxxxx`, `****`, `your_token_here`, anything with example, sample,
dummy, redacted), references (`${DB_PASSWORD}`, `$TOKEN`, `%(pw)s`, `{{ secret }}`, `os.environ[...]`,
`process.env.X`), code (`get_token()`, `self.password`, `settings.SECRET_KEY`, `None`, `str`, regexes
and format strings), paths and URLs, lower-case names joined by separators (`app-tls-2024`, a resource's
name), and a value that repeats its own name (`password=password1`).

A token a few words after a name ("the API key for staging is 7ecfe51...") counts when it looks random:
20+ characters mixing letters and digits, Shannon entropy over detect-secrets' threshold for its length
(its hex calculation for hex strings), and not made of words (`usr/lib/python3/site-packages`).
"""

from __future__ import annotations

import math
import string

import regex
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

PLACEHOLDER = regex.compile(
    r"(?i)example|sample|placeholder|change[_\-]?(?:me|it)|your[_\-]?|dummy|redacted|fake|^test|here$|<[^>]*>|"
    r"\$\{|\{\{|\{%|%\(|\$\(|^\$[A-Za-z_]|^%[A-Za-z_]+%$|^\{\w*\}$|x{4,}|\*{3,}|\.{3}|•|…|"
    r"process\.env|os\.environ|getenv|^env[.:\[]|^vault:|^ENC\[|^(?:none|null|nil|true|false|undefined|required)$")
CODE = regex.compile(
    r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|"  # self.password, settings.SECRET_KEY
    r".*(?:\\[dwsbDWSnt]|\[[^\]]*-[^\]]*\]|\.\*|%[sdr]|\{\d*\}|\(\?).*|"  # regexes and format strings
    r"(?:[~.]{0,2}/|[A-Za-z]:\\)[\w./\\\-]*|[a-z][\w+.\-]*://\S*|[\w.+\-]+@[\w\-]+\.[\w.\-]+")  # paths, URLs, e-mails
WORDS = regex.compile(r"[A-Z]?[a-z]{4,}")
SEPARATED = regex.compile(r"[\-_./]")
_BASE64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()


def password_like(value: str, min_length: int, name: str = "", allow_digits: bool = False) -> bool:
    """Whether `value` is a literal password or key of real-looking strength (the module's rules)."""
    if not min_length <= len(value) <= 200 or len(set(value)) < 4 or any(char.isspace() for char in value):
        return False
    if PLACEHOLDER.search(value) or CODE.fullmatch(value) or _joined_names(value):
        return False
    if len(name) >= 5 and regex.sub(r"[_\-. ]", "", name.lower()) in value.lower():
        return False
    if value.isdigit():
        return allow_digits
    lower = any(char.islower() for char in value)
    upper = any(char.isupper() for char in value)
    digit = any(char.isdigit() for char in value)
    symbol = any(char in string.punctuation and char not in "_-." for char in value)  # not a word joiner
    if (lower or upper) and digit or lower + upper + digit + symbol >= 3:
        return True
    letters = [char for char in value if char.isalpha()]
    upper_share = sum(char.isupper() for char in letters) / max(len(letters), 1)
    return len(value) >= 20 and 0.3 <= upper_share <= 0.7 and not _wordy(value)


def _wordy(value: str) -> bool:
    """Made mostly of words (identifiers, paths), which random tokens are not."""
    return _joined_names(value) or sum(len(word) for word in WORDS.findall(value)) > 0.4 * len(value)


def _joined_names(value: str) -> bool:
    """Three or more lower-case parts joined by separators: header, host and resource names (`x-amz-content-sha256`,
    `app-tls-2024`), not UUIDs (hex parts), which are tokens."""
    parts = SEPARATED.split(value)
    return len(parts) >= 3 and value == value.lower() and not all(char in string.hexdigits for char in "".join(parts))


def random_looking(token: str) -> bool:
    """A machine-made token: 16+ characters mixing letters and digits, with high entropy, not words."""
    token = token.rstrip("=")
    if len(token) < 16 or not any(char.isdigit() for char in token) or not any(char.isalpha() for char in token):
        return False
    if PLACEHOLDER.search(token) or _wordy(token) or CODE.fullmatch(token):
        return False
    if all(char in string.hexdigits for char in token):
        return _HEX.calculate_shannon_entropy(token) >= 3.0
    return _BASE64.calculate_shannon_entropy(token) >= min(4.0, math.log2(len(token)) - 0.7)
