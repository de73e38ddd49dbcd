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

A passphrase (words with spaces, "my password is correct horse battery staple") counts when it is 3 to 8
words, at most 64 characters, that do not describe the password: no word of the credential's own name,
no acronyms (PBKDF2, SSL), not starting with a word that describes ("required", "incorrect", "stored",
"obligatoria", "the", "not"...), and at most a third of its words articles, prepositions and other
function words ("stored in the vault", "set to expire in 90 days" are prose, "gatto nero sul tetto" is not).

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
# Words that make a phrase after "password is/:" prose, in the gateway's languages: function words...
FUNCTION_WORDS = frozenset("""
the a an this that these those it its my your his her our their to of in on at by for from with without into as is
are was were be been being not no nor and or but if then than so too very also only just still now already must
should can could will would may might shall do does did has have had which who what when where how any some all each
every same such there here via per using either neither both
el la los las un una unos unas del al en con por para sin que y o es son ser está muy su sus mi mis tu tus lo se
der die das den dem des ein eine einen einem einer und oder nicht ist sind wird im an auf mit von zu für bei aus
kein keine muss
le les une des du au aux et ou pas ne est sont pour par avec sans dans sur ce cette son sa ses votre vos notre
il lo gli di della dei sul sulla non è e da dal
os as um uma do da dos das em no na com sem não é seu sua
""".split())
# ... and the words that start a description of it ("the password is required / stored in / case-sensitive").
DESCRIBING = frozenset("""
required optional incorrect invalid wrong empty missing expired weak strong short long visible hidden blank set unset
needed mandatory case same different usually always never often currently generally done sent kept made shown known
none null str bytes string int bool true false final
held used saved reset changed given taken written hashed stored encrypted protected generated displayed entered
obligatoria obligatorio incorrecta incorrecto inválida inválido requerida requerido necesaria errónea vacía
falsch ungültig erforderlich abgelaufen leer gespeichert
requis obligatoire invalide vide expiré
richiesta obbligatoria errata sbagliata scaduta vuota
obrigatória incorreta errada vazia
""".split())
DESCRIBING_ENDINGS = ("ly", "mente")  # adverbs ("usually", "normalmente"); participles end like nouns (gato, bed)
CREDENTIAL_WORDS = regex.compile(r"(?i)\b(?:pass(?:word|wort|phrase|code)?s?|passwd|pwd|secrets?|tokens?|keys?|"
                                 r"contrase(?:ñ|n)a|clave|kennwort|senha|mdp)\b")
ACRONYM = regex.compile(r"\b[A-Z][A-Z0-9]+\b")

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


def passphrase_like(phrase: str) -> bool:
    """Whether `phrase`, words said or assigned after a password's name, is a passphrase (the module's rules)."""
    words = phrase.split()
    if not 3 <= len(words) <= 8 or len(phrase) > 64 or PLACEHOLDER.search(phrase) or CREDENTIAL_WORDS.search(phrase):
        return False
    if phrase != phrase.upper() and ACRONYM.search(phrase):
        return False
    lowered = [word.lower() for word in words]
    first = lowered[0]
    if first in FUNCTION_WORDS or first in DESCRIBING or first.endswith(DESCRIBING_ENDINGS) or _participle(first):
        return False
    return 3 * sum(word in FUNCTION_WORDS for word in lowered) <= len(words)


def _participle(word: str) -> bool:
    """An English past participle ("asked", "rejected"): "the password was rejected for..." describes it."""
    return len(word) >= 5 and word.endswith("ed") and not word.endswith("eed")
