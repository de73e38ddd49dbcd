"""Credentials: API keys and tokens of known formats, private-key blocks, JWTs, passwords in URLs and
connection strings, and literal values assigned to a password/secret/token/key name in code, config,
logs and prose (`secret_values.py` decides which values count).

Formats come from detect-secrets' plugins where it has them (AWS key ids, GitHub, GitLab, Slack, Discord,
Telegram, Stripe, Square OAuth secrets, OpenAI's legacy keys, SendGrid, Twilio, Mailchimp, PyPI, Azure
storage keys, the private-key markers, its JWT validation and entropy calculation); written here are
the formats it lacks (GitHub fine-grained tokens, Google API keys and OAuth secrets, Azure SAS and Service
Bus keys and AD client secrets, OpenAI project and Anthropic keys, Hugging Face, Braintree, Square access
tokens, npm's `npm_` tokens, Slack app tokens, Discord webhooks) and the rules around names, because
detect-secrets' keyword plugin fires on any value (`password = get_password()`), needs quotes in most
places and misses prose. Every text is checked with cheap literal tests first: prose without a
credential's marks costs a few substring tests.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import regex
from detect_secrets.plugins import (
    aws,
    azure_storage_key,
    discord,
    github_token,
    gitlab_token,
    jwt,
    mailchimp,
    openai,
    private_key,
    pypi_token,
    sendgrid,
    slack,
    square_oauth,
    stripe,
    telegram_token,
    twilio,
)

from plugins.policy.deadline import finditer
from plugins.policy.recognisers.secret_values import passphrase_like, password_like, random_looking


def _ds(detector: type, *indexes: int) -> str:
    """detect-secrets' own regexes for a format (its `denylist`), as one alternation."""
    patterns = list(detector.denylist)  # type: ignore[attr-defined]
    return "|".join(f"(?:{patterns[index].pattern})" for index in (indexes or range(len(patterns))))


# Tokens recognisable by their shape alone: per format, the literal marks it cannot be written without (a
# text holding none is not searched for it: most prose costs a few substring tests) and its pattern.
_FORMATS: dict[str, tuple[tuple[str, ...] | re.Pattern[str], str]] = {
    "aws_key_id": (("AKIA", "ASIA", "ABIA", "ACCA", "A3T"), _ds(aws.AWSKeyDetector, 0)),
    "github": (("gh", "github_pat_"), _ds(github_token.GitHubTokenDetector) + r"|github_pat_[A-Za-z0-9_]{82}"),
    "gitlab": (("gl", "GR1348941"), _ds(gitlab_token.GitLabTokenDetector)),
    "slack": (("xox", "XOX", "Xox", "xapp-", "hooks.slack", "HOOKS.SLACK"),
              "(?i:" + _ds(slack.SlackDetector) + r")|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]{20,}"),
    "discord": (re.compile(r"\.[\w\-]{6}\.|discord"), _ds(discord.DiscordBotTokenDetector) + r"[\w\-]*"
                r"|https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[\w\-]{60,70}"),
    "telegram": (re.compile(r":(?<=\d{8}:)"), _ds(telegram_token.TelegramBotTokenDetector)),
    "stripe": (("k_live_",), _ds(stripe.StripeDetector) + r"[0-9a-zA-Z]*"),
    "square": (("sq0",), _ds(square_oauth.SquareOAuthDetector) + r"|sq0atp-[0-9A-Za-z\-_]{22}"),
    "braintree": (("$production$",), r"access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}"),
    "openai": (("sk-",), _ds(openai.OpenAIDetector) + r"|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}"),
    "anthropic": (("sk-ant-",), r"sk-ant-(?:api|admin|sid)\d\d-[A-Za-z0-9_\-]{80,}"),
    "sk_key": (("sk-",), r"sk-[A-Za-z0-9]{32,}"),  # DeepSeek, Moonshot and other OpenAI-shaped keys
    "huggingface": (("hf_", "api_org_"), r"(?:hf_|api_org_)[A-Za-z]{34}"),
    "google": (("AIza", "GOCSPX-", "ya29."),
               r"AIza[0-9A-Za-z_\-]{35}|GOCSPX-[0-9A-Za-z_\-]{28}|ya29\.[0-9A-Za-z_\-]{30,}"),
    "azure": (("AccountKey=", "SharedAccessKey=", "sig=", "Q~"),
              _ds(azure_storage_key.AzureStorageKeyDetector) + r"|SharedAccessKey=[A-Za-z0-9+/]{42,43}="
              r"|(?<=[?&])sig=[A-Za-z0-9%+/]{40,}={0,2}|[\w.\-]{3}\dQ~[\w.~\-]{31,34}"),
    "sendgrid": (("SG.",), _ds(sendgrid.SendGridDetector)),
    "twilio": (("AC", "SK"), _ds(twilio.TwilioKeyDetector)),
    "mailchimp": (("-us",), _ds(mailchimp.MailchimpDetector)),
    "npm": (("npm_",), r"npm_[A-Za-z0-9]{36}"),
    "pypi": (("pypi-",), _ds(pypi_token.PypiTokenDetector)),
}
_START = {"telegram": r"(?:(?<![\w\-])|(?<=/bot))"}  # Telegram's API URLs: https://api.telegram.org/bot<token>/
FORMATS = {name: (marks, regex.compile(_START.get(name, r"(?<![\w\-])") + "(?:" + source + r")(?![\w\-])"))
           for name, (marks, source) in _FORMATS.items()}
MARKED = [(mark, name) for name, (marks, _) in _FORMATS.items() if isinstance(marks, tuple) for mark in marks]
HINTED = [(marks, name) for name, (marks, _) in _FORMATS.items() if isinstance(marks, re.Pattern)]
FILLER = regex.compile(r"([A-Za-z0-9])\1{5,}")  # ghp_xxxxxxxx...: a placeholder in a format's shape
FORMAT_CHECKS = {
    "aws_key_id": lambda value: any(char.isdigit() for char in value),
    "twilio": lambda value: any(char.isdigit() for char in value) and any(char.isalpha() for char in value[2:]),
    "sk_key": random_looking,
    "huggingface": lambda value: value[3:] != value[3:].lower() and value[3:] != value[3:].upper(),
}

# The name of a credential (the end of an identifier or a word of prose) and the separators after it.
KEYWORD = (r"pass(?:word|wd|phrase|code)?|pwd|secret|(?:api|access|secret|private|signing|encryption|master|account|"
           r"auth|app|consumer|service|client|license|subscription)[_\-. ]?key|apikey|token|credentials?|"
           r"contrase(?:ñ|n)a|clave|passwort|kennwort|mot[_\- ]de[_\- ]passe|mdp|senha")
SHORT_KEYWORDS = {"pass", "pwd", "mdp", "clave", "senha"}  # whole words or after a separator: `bypass`, `compass`
# Not credentials: public keys, pagination and change cursors, a tokenizer's special tokens (`NextToken`, `eos_token`).
NOT_CREDENTIAL = regex.compile(r"(?i)public|(?:next|page|continuation|pagination|cancellation|change|idempotency|sync|"
                               r"resume|start|end|max|min|num|sep|eos|bos|pad|unk|mask|cls|special|stop|sort|cursor)"
                               r"[_\-. ]?token$")
ASSIGNMENT = regex.compile(
    r"(?i)(?<![\w.\-])(?P<name>[\w.\-]{0,40}?(?P<keyword>" + KEYWORD + r"))(?![\w\-])"
    r"(?P<close>[\\\"'\]]{0,3})[ \t]*(?:=>|:=|==?|:|\|)[ \t]*"
    r"(?:\\?(?P<quote>[\"'`])(?P<quoted>[^\"'`\r\n\\]{1,200})\\?(?P=quote)|(?P<bare>[^\s\"'`,;<>(){}\[\]|]{1,200}))")
NATURAL = regex.compile(
    r"(?i)\b(?:password|passwort|kennwort|contraseña|contrasena|clave|mot de passe|mdp|passcode|passphrase|"
    r"senha|parola d'ordine)(?:\s+\S{1,20}){0,4}?\s+(?:is|was|es|era|ist|lautet|war|est|était|è|e|é)\s*:?\s+"
    r"[\"'“«‹]?(?P<value>[^\s\"'“”«»‹›]{4,80})")
# Words with spaces said or assigned after a password's name, up to the end of the line or sentence; bounded
# (a longer run is a sentence about the password, not one).
_PHRASE_NAME = (r"password|passwort|kennwort|contraseña|contrasena|clave|mot de passe|mdp|passcode|passphrase|"
                r"pass phrase|senha|parola d'ordine")
_PHRASE = (r"[\"'“«]?(?P<value>[^\W_](?:[^\W_]|['’\-])*(?:[ \t]+[^\W_](?:[^\W_]|['’\-])*){2,7})[\"'”»]?"
           r"(?=[ \t]*(?:[.!?,;:)\]—–]|$))")
PASSPHRASE = regex.compile(
    r"(?im)(?<![^\W_])(?<![:@](?:param|type|paramtype|arg|keyword|ivar|var)\s+[\w\-.]{0,30})"  # a docstring's field
    r"(?:[\w\-.]{0,30}[_\-.])?(?:" + _PHRASE_NAME + r")(?:"
    r"(?:[ \t]+\S{1,20}){0,4}?[ \t]+(?:is|was|es|era|ist|lautet|war|est|était|è|e|é)(?!\w)[ \t]*:?"  # said
    r"|[\"']?[ \t]*[:=])[ \t]*" + _PHRASE)  # assigned
NEAR_WORD = regex.compile(
    r"(?i)\b(?:api[ _\-]?key|access[ _\-]?key|secret(?:[ _\-]?key)?|token|bearer|apikey|password|passwd|"
    r"credentials?|authorization|clave|schlüssel|clé|chiave)s?\b")
NEAR_TOKEN = regex.compile(r"(?<![\w+/=\-.])(?!0x[0-9a-fA-F]{40}\b)[A-Za-z0-9+/_\-.]{20,200}={0,2}(?![\w+/=\-])")
BASIC_AUTH = regex.compile(r"(?i:basic)\s+(?P<value>[A-Za-z0-9+/]{8,200}={0,2})(?![\w+/=])")
AWS_SECRET = regex.compile(
    r"(?i:aws|secret_?access)[\w.\-]{0,30}?(?i:secret|key)[\w.\-]*[\"'\]]{0,2}\s*(?:=>|:=|=|:|,)\s*[\"']?"
    r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
URL_CREDENTIALS = regex.compile(
    r"(?<![\w+.\-])[A-Za-z][\w+.\-]{1,30}://(?P<user>[^\s:/?#@\[\]\"'<>]{0,64}):(?P<password>[^\s/?@\"'<>]{1,128})"
    r"@(?=[\w\[])")
JWT = regex.compile(r"(?<![\w\-])eyJ[\w\-]{4,}={0,2}\.[\w\-]{4,}={0,2}\.[\w\-]*={0,2}")
_MARKERS = "|".join(pattern.pattern for pattern in private_key.PrivateKeyDetector.denylist)
KEY_BEGIN = regex.compile(r"(?:-{4,5} ?)?(?:" + _MARKERS + r"|BEGIN ENCRYPTED PRIVATE KEY)(?: ?-{4,5})?")
KEY_END = regex.compile(r"(?:-{4,5} ?)?END [A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?(?: ?-{4,5})?"
                        r"|Private-MAC: ?[0-9a-fA-F]+")
KEY_BODY = regex.compile(r"[A-Za-z0-9+/=\s:,\-]{0,12000}")
KEY_MATERIAL = regex.compile(r"[A-Za-z0-9+/]{40}")
# The marks of the rules around names (any case): a text holding none skips them.
NAME_MARKS = ("pass", "pwd", "secret", "key", "token", "credential", "contrase", "clave", "kennwort", "mot de", "mdp",
              "senha", "bearer", "basic", "authori", "aws", "schlüssel", "clé", "chiave", "parola")


def _jwt_valid(token: str) -> bool:
    """A JWT's header is JSON naming its algorithm (detect-secrets checks that every part decodes)."""
    if not jwt.JwtTokenDetector.is_formally_valid(token):
        return False
    head = token.split(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(header, dict) and "alg" in header


def _basic_credentials(value: str) -> bool:
    try:
        user, _, password = base64.b64decode(value + "=" * (-len(value) % 4)).decode("utf-8").partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return bool(_) and password_like(password, 4) and password != user


def _keyword_bounded(name: str, keyword: str) -> bool:
    """`db_pass`, `dbPass` and `PASS` name a password; `bypass` and `compass` do not."""
    before = name[:len(name) - len(keyword)]
    if keyword.lower() not in SHORT_KEYWORDS or not before or before[-1] in "_.-":
        return True
    return before[-1].islower() and keyword[0].isupper()


@dataclass(frozen=True)
class Secrets:
    kind: str = "secret"
    reads: str = "text"  # keys are case-sensitive: the upper-cased number readings would break them

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        present = {name for mark, name in MARKED if mark in text}
        present |= {name for hint, name in HINTED if hint.search(text)}
        for name in present:
            check = FORMAT_CHECKS.get(name)
            for match in finditer(FORMATS[name][1], text, deadline):
                if not FILLER.search(match.group(0)) and (check is None or check(match.group(0))):
                    yield match.span()
        if "eyJ" in text:
            for match in finditer(JWT, text, deadline):
                if _jwt_valid(match.group(0)):
                    yield match.span()
        if "PRIVATE KEY" in text or "PuTTY-User-Key-File" in text:
            yield from self._key_blocks(text, deadline)
        if "://" in text and "@" in text:
            for match in finditer(URL_CREDENTIALS, text, deadline):
                user, password = match.group("user"), match.group("password")
                if password != user and password_like(password, 6):
                    yield match.start("user") if user else match.start("password"), match.end("password")
        lowered = text.lower()
        if any(mark in lowered for mark in NAME_MARKS):
            yield from self._named(text, lowered, deadline)

    def _key_blocks(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        for begin in finditer(KEY_BEGIN, text, deadline):
            end = KEY_END.search(text, begin.end(), begin.end() + 12000)
            stop = end.end() if end else begin.end() + len(KEY_BODY.match(text, begin.end()).group(0))
            if KEY_MATERIAL.search(text, begin.end(), end.start() if end else stop):
                yield begin.start(), stop

    def _named(self, text: str, lowered: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        """Values next to a credential's name: assigned, said in prose, or a random token a few words on."""
        for match in finditer(ASSIGNMENT, text, deadline):
            value = match.group("quoted") or match.group("bare")
            group = "quoted" if match.group("quoted") else "bare"
            start, end = match.span(group)
            if text[max(0, match.start() - 1):match.start()] in ("?", "&") and "&" in value:  # a URL's query
                end = start + value.index("&")
                value = value[:end - start]
            if group == "bare":
                if text[end:end + 1] in ("(", "["):  # a call or an index: code, not a value
                    continue
                value = value.rstrip(".:")
                end = start + len(value)
            if (_keyword_bounded(match.group("name"), match.group("keyword"))
                    and not NOT_CREDENTIAL.search(match.group("name"))
                    and password_like(value, 8, match.group("keyword"))):
                yield start, end
        if "aws" in lowered or "secret" in lowered:
            for match in finditer(AWS_SECRET, text, deadline):
                value = match.group("value")
                if value != value.lower() and value != value.upper():
                    yield match.span("value")
        for match in finditer(NATURAL, text, deadline):
            value = match.group("value").rstrip(".,;:?)]}\"'»”")
            if password_like(value, 6, allow_digits=True):
                yield match.start("value"), match.start("value") + len(value)
        for match in finditer(PASSPHRASE, text, deadline):
            if passphrase_like(match.group("value")):
                yield match.span("value")
        for word in finditer(NEAR_WORD, text, deadline):
            for token in NEAR_TOKEN.finditer(text, word.end(), min(len(text), word.end() + 260)):
                if token.start() > word.end() + 60:  # a few words on, no further
                    break
                if random_looking(token.group(0)):
                    yield token.span()
                    break
        if "basic" in lowered:
            for match in finditer(BASIC_AUTH, text, deadline):
                if _basic_credentials(match.group("value")):
                    yield match.span("value")


SECRETS = Secrets()
