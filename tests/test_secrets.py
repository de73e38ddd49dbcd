"""Credentials, crypto-currency addresses and network identifiers (issue 38): each format found where
people paste it, placeholders and code left alone, checksums that hold, addresses and JWTs never taken
for phone numbers, and a pasted secret kept from the Gemini emulator through the running gateway."""

from __future__ import annotations

import hashlib
import json
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.platform.settings import gateway_settings
from plugins.policy import detect
from plugins.policy.deadline import ScanTimeout
from plugins.policy.detect import find_sensitive
from plugins.policy.recognisers import configured
from plugins.policy.recognisers.network import IP_ADDRESS, MAC_ADDRESS
from plugins.policy.recognisers.secrets import SECRETS
from plugins.policy.recognisers.wallets import CRYPTO, keccak256
from plugins.policy.redaction import Vault, redact_text
from tests.detection_sets.secrets import SAMPLES, TUNING
from tests.helpers import chat_bodies, gemini_calls

RECOGNISERS = {"secret": SECRETS, "crypto_address": CRYPTO, "ip_address": IP_ADDRESS, "mac_address": MAC_ADDRESS}


def found(kind: str, text: str) -> list[str]:
    return [text[start:end] for start, end in RECOGNISERS[kind].find(text, None)]


# --- secrets -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sample", TUNING, ids=lambda sample: f"{sample.kind}-{sample.group}")
def test_tuning_set_found(sample):
    assert any(sample.value in span for span in found(sample.kind, sample.text)), sample.text


@pytest.mark.parametrize("kind", ["secret", "crypto_address", "ip_address", "mac_address"])
def test_held_out_set_recall(kind):
    """The hand-written set nobody tuned on (tests/detection_sets/secrets.py): at least 90 % per kind."""
    samples = [sample for sample in SAMPLES if sample.kind == kind]
    missed = [sample.text[:60] for sample in samples
              if not any(sample.value in span for span in found(kind, sample.text))]
    assert len(missed) <= 0.1 * len(samples), missed


def test_held_out_set_covers_every_place_and_seventeen_formats():
    secrets = [sample for sample in SAMPLES if sample.kind == "secret"]
    assert {"env", "json", "code", "yaml", "shell", "log", "chat", "email", "markdown"} <= {s.place for s in secrets}
    assert len({sample.group for sample in secrets}) >= 17


@pytest.mark.parametrize(("text", "value"), [
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF" + "x9Kq2" * 12 + "\n=Abcd\n-----END PGP PRIVATE KEY BLOCK-----",
     "-----BEGIN PGP PRIVATE KEY BLOCK-----"),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI" + "a1B2" * 10,
     "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI"),  # cut off before its end: the rest is the key
    ("Authorization: Basic YWxhZGRpbjpvcGVuU2VzYW1lMQ==", "YWxhZGRpbjpvcGVuU2VzYW1lMQ=="),
    ("https://discord.com/api/webhooks/123456789012345678/" + "AbCdEf1234567890_-" * 3 + "Zz9Yy8Xx7Ww6Vv",
     "https://discord.com/api/webhooks/123456789012345678/"),
    ("SENTRY=x\nDEEPSEEK_API_KEY=sk-3f9a8c7d6e5b4a3928171615141312ab", "sk-3f9a8c7d6e5b4a3928171615141312ab"),
    ("Server=tcp:db;Database=app;User ID=web;Password=Lq8#vZ2!pR;Encrypt=True", "Lq8#vZ2!pR"),
    ('{"dbPassword": "Yt6$Wq1#zN"}', "Yt6$Wq1#zN"),
    ("$password = 'Pw4!kLm9Zq';", "Pw4!kLm9Zq"),
    ('<add key="ApiKey" value="x"/>\napi_token: 9f8e7d6c5b4a39281716a5b4c3d2e1f0', "9f8e7d6c5b4a39281716a5b4c3d2e1f0"),
])
def test_more_formats(text, value):
    assert any(value in span for span in found("secret", text)), found("secret", text)


@pytest.mark.parametrize("text", [
    'password = "changeme"', 'os.environ["API_KEY"]', "password: str", "api_key=None", "token = get_token()",
    "DB_PASSWORD=${DB_PASSWORD}", "api_key: <your-api-key>", "password: xxxxxxxx", "token = tokens[0]",
    "self.password = password", "secret = settings.SECRET_KEY", 'password = getpass.getpass("Password: ")',
    "PASSWORD = os.getenv('PASSWORD')", "export OPENAI_API_KEY=sk-...", "Authorization: Bearer $TOKEN",
    "password: '{{ vault_db_password }}'", "pwd = os.getcwd()", "PWD=/home/alice/projects", "token: 1234567890",
    "postgres://user:password@localhost/db", "postgres://postgres:postgres@db:5432/app", "https://u:${PASS}@host.com",
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", "api_key = 'YOUR_API_KEY_HERE'",
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "password=********", "bypass = True",
    'TOKEN_RE = r"[A-Z][a-z]+\\d"', "max_tokens=4096", "The password is case-sensitive.",
    "Your password must be at least 12 characters.", "Use the access token from the previous step.",
    '"NextToken": "abcdefg123"', '"eos_token": "</s>"', "credentials = standard_b64encode(credentials)",
    "token: Optional. A token for the service.", "secret: app-tls-2024", 'publicKeyToken="1fc8b3b9a1e18e3b"',
    "The model counts 4096 tokens; the key idea is attention.", "password_hash = bcrypt.hash(pw)",
])
def test_placeholders_references_and_code_are_not_secrets(text):
    assert found("secret", text) == []


@pytest.mark.parametrize(("text", "value"), [
    ("my password is correct horse battery staple", "correct horse battery staple"),
    ("password: tres tristes tigres comen", "tres tristes tigres comen"),
    ("contraseña: gato negro come pescado.", "gato negro come pescado"),
    ("Wi-Fi\nPassword: purple monkey dishwasher lamp\nEnjoy!", "purple monkey dishwasher lamp"),
    ('PASSPHRASE = "hollow tiger seven lanterns"', "hollow tiger seven lanterns"),
    ("the passphrase for the backup disk is orange tractor moonlight 77", "orange tractor moonlight 77"),
])
def test_passphrases_with_spaces(text, value):
    assert found("secret", text) == [value]


@pytest.mark.parametrize("text", [
    "the password is stored in the vault", "password is required", "your password is incorrect",
    "la contraseña es obligatoria", "the password is too short", "password: must contain at least 8 characters",
    "my password is not working since yesterday", "password is set to expire in 90 days",
    "Password hashing is done using PBKDF2.", "The root password is asked during installation.",
    "password: The password of the user", "password: str or None", ":param is_password: Show asterisks instead",
    "the password is used to authenticate the user against the directory server when it starts",  # a sentence
    "das Passwort ist falsch", "mot de passe : le mot de passe du compte", "password was rejected for admin site.",
])
def test_sentences_about_a_password_are_not_passphrases(text):
    assert found("secret", text) == []


@settings(derandomize=True, max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["ghp_{36}", "sk_live_{24}", "glpat-{20}", "AIza{35}", "npm_{36}", "SG.{22}.{43}"]),
       st.sampled_from(["TOKEN={}", 'key = "{}"', "here it is: {} thanks", '{{"k": "{}"}}', "`{}`"]),
       st.integers(0, 2**32))
def test_generated_tokens_of_each_format_are_found(shape, template, seed):
    rnd = random.Random(seed)  # a token's characters are random, as a real one's are (filler is a placeholder)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"
    pieces = shape.replace("}", "{").split("{")
    token = "".join(piece if index % 2 == 0 else "".join(rnd.choice(alphabet) for _ in range(int(piece)))
                    for index, piece in enumerate(pieces))
    text = template.format(token)
    assert any(token in span for span in found("secret", text)), text


def test_a_long_text_respects_the_deadline():
    text = "password = x; token: y; " * 50_000 + "ghp_" * 50_000
    with pytest.raises(ScanTimeout):
        list(SECRETS.find(text, time.monotonic() + 0.001))


# --- crypto-currency addresses ----------------------------------------------------------------------------

def test_keccak_is_sha3_with_keccak_padding():
    for data in (b"", b"abc", b"x" * 135, b"y" * 136, b"z" * 300):
        assert keccak256(data, 0x06) == hashlib.sha3_256(data).digest()
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@pytest.mark.parametrize("address", ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                     "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                                     "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"])  # EIP-55's vectors
def test_eip55_checksum(address):
    assert found("crypto_address", f"pay {address} now") == [address]
    broken = address[:-1] + ("a" if address[-1] != "a" else "b")  # one letter's case no longer matches
    assert found("crypto_address", f"pay {broken} now") == []


def test_single_case_ethereum_address_as_written():
    """No checksum to check: `0x` and exactly 40 hex digits, letters and digits both, not called a hash."""
    address = "0x52908400098527886e0f7030069857d2e4169ee7"
    assert found("crypto_address", f"my wallet: {address}") == [address]
    assert found("crypto_address", f"send to {address} today") == [address]
    assert found("crypto_address", f"to {address.upper().replace('0X', '0x')}") == [address.upper().replace("0X", "0x")]
    assert found("crypto_address", f"sha1 {address}") == []
    assert found("crypto_address", f"commit digest: {address}") == []
    assert found("crypto_address", "wallet 0x" + "0" * 40) == []
    assert found("crypto_address", "to 0x" + "1234567890" * 4) == []  # digits alone
    assert found("crypto_address", f"tx {address}{address[2:26]}") == []  # a longer hex run: a hash or a key
    assert found("crypto_address", f"commit {address[2:]}") == []  # git's 40 hex digits, no 0x


@pytest.mark.parametrize(("address", "valid"), [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", True), ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", False),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", True), ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", True),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", False), ("Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", False),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", True),  # BIP 350 (bech32m)
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1", False),
])
def test_bitcoin_checksums(address, valid):
    assert (found("crypto_address", f"send to {address}.") == [address]) is valid


# --- network identifiers and the right kind ---------------------------------------------------------------

@pytest.mark.parametrize(("kind", "text", "value"), [
    ("ip_address", "client 203.0.113.9 connected", "203.0.113.9"),
    ("ip_address", "from 2001:db8:85a3::8a2e:370:7334 port 22", "2001:db8:85a3::8a2e:370:7334"),
    ("ip_address", "peer ::ffff:192.0.2.128 reset", "::ffff:192.0.2.128"),
    ("mac_address", "HWaddr 00:1A:2B:3C:4D:5E up", "00:1A:2B:3C:4D:5E"),
    ("mac_address", "mac 3c-22-fb-7a-91-0e", "3c-22-fb-7a-91-0e"),
    ("mac_address", "port 0050.56c0.0008", "0050.56c0.0008"),
])
def test_network_identifiers(kind, text, value):
    assert found(kind, text) == [value]


@pytest.mark.parametrize("text", ["netmask 255.255.255.0", "listen 127.0.0.1:8080", "bind 0.0.0.0", "version 1.2.3.4",
                                  "at 12:30:45 today", "std::vector<int> a::b", "mac 00:00:00:00:00:00"])
def test_not_network_identifiers(text):
    assert found("ip_address", text) == [] and found("mac_address", text) == []


def test_network_kinds_are_off_unless_listed():
    kinds = gateway_settings("escalation")["kinds"]
    assert "secret" in kinds and "crypto_address" in kinds
    assert "ip_address" not in kinds and "mac_address" not in kinds


@pytest.mark.parametrize("text", [
    "ip 172.16.254.1:8080", "route add 203.0.113.195 mask 255.255.0.0", "Server at 192.168.1.254 is down",
    "IPv6 2001:0db8:0000:0000:0000:ff00:0042:8329", "mac 00-14-22-01-23-45", "mac 0014.2201.2345",
    "chrome 120.0.6099.109", "build 6.1.7601.17514", "version 1.2.3.4567",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIy"
    "fQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yQsswc5c",
])
def test_addresses_versions_and_jwts_are_never_phones(text):
    assert "phone" not in find_sensitive([f"Here: {text}"])


def test_phones_next_to_addresses_still_found():
    assert "phone" in find_sensitive(["Server 10.0.0.1, call me on +34 612 345 678"])
    assert "phone" in find_sensitive(["Ring 312.950.4992 today"])


# --- redaction ----------------------------------------------------------------------------------------------

ENV = "DB_HOST=db01\nDB_PASSWORD=Tr0ub4dor&3x\nSTRIPE_SECRET_KEY=sk_live_tIzA9XrTPtx9HE0mVICYRV7g\n"


def test_redaction_replaces_each_secret_and_restores_it():
    vault = Vault()
    redacted = redact_text(ENV, vault)
    assert "Tr0ub4dor&3x" not in redacted and "sk_live_" not in redacted
    assert "DB_PASSWORD=[SECRET_1]" in redacted and "[SECRET_2]" in redacted and "DB_HOST=db01" in redacted
    assert vault.restore(redacted) == ENV
    assert [kind for _, _, kind in detect.spans(ENV)] == ["secret", "secret"]


def test_credentials_in_a_url_are_one_secret():
    text = "DATABASE_URL=postgres://app:Vq7rT2pLm9@db.example.com:5432/orders"
    assert [(text[start:end], kind) for start, end, kind in detect.spans(text)] == [("app:Vq7rT2pLm9", "secret")]


def test_every_new_kind_is_registered():
    assert {"secret", "crypto_address"} <= {recogniser.kind for recogniser in configured()}


# --- through the gateway ----------------------------------------------------------------------------------

CODE_BLOCK = "Why does this fail?\n```python\nimport stripe\nstripe.api_key = \"sk_live_tIzA9XrTPtx9HE0mVICYRV7g\"\n```"


def flexible(gateway, content, **extra):
    return gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": content}], extra_body={"privacy_mode": "flexible", **extra})


@pytest.mark.parametrize("content", [f"Here is my .env:\n{ENV}", CODE_BLOCK,
                                     "Is this strong? my password is correct horse battery staple"])
def test_a_pasted_secret_never_reaches_gemini(gateway, ollama, gemini, content):
    raw = flexible(gateway, content)
    assert raw.headers["x-gateway-escalated"] == "sensitive-data" and raw.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == [] and chat_bodies(ollama)


def test_a_pasted_secret_is_redacted_then_restored(gateway, ollama, gemini):
    raw = flexible(gateway, f"Repeat this .env back:\n{ENV}", sensitive_data="redact")
    assert raw.headers["x-gateway-privacy"] == "flexible" and raw.headers["x-gateway-redacted"] == "secret:2"
    sent = json.dumps([call.body for call in gemini_calls(gemini)])
    assert "Tr0ub4dor&3x" not in sent and "sk_live_tIzA9XrTPtx9HE0mVICYRV7g" not in sent
    assert "[SECRET_1]" in sent and "[SECRET_2]" in sent
    content = raw.parse().choices[0].message.content
    assert "Tr0ub4dor&3x" in content and "sk_live_tIzA9XrTPtx9HE0mVICYRV7g" in content
