"""Issue 24: flexible requests send the cloud only what the gateway read. Each hole found by probing is a
regression test here: a sensitive value hidden in that field or spelling never reaches the Gemini
emulator, in any byte of any request it recorded (the attachment shapes are in test_privacy_attachments.py).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import unicodedata

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import chat_bodies, gemini_calls

IBAN = "ES91 2100 0418 4502 0005 1332"
COMPACT = "ES9121000418450200051332"
LOOKALIKES = str.maketrans("АВЕКМНОРСТХ", "ABEKMHOPCTX")  # Cyrillic capitals drawn like Latin ones


def gemini_saw(gemini) -> str:
    """Everything the Gemini emulator received, as one upper-case run of letters and digits: JSON
    escapes, look-alike letters, base64 runs and inline file bytes decoded first."""
    texts = []
    for record in gemini.requests:
        if record.body is None:
            continue
        text = json.dumps(record.body, ensure_ascii=False)
        texts.append(text)
        for run in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
            try:
                texts.append(base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-8", "ignore"))
            except ValueError:
                pass
    joined = unicodedata.normalize("NFKC", " ".join(texts)).translate(LOOKALIKES)
    return re.sub(r"[^A-Z0-9@]", "", joined.upper())


def assert_not_leaked(gemini, compact: str = COMPACT) -> None:
    assert compact.upper() not in gemini_saw(gemini)


def flexible(gateway, messages, **fields):
    return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=120,
                      json={"model": "auto", "messages": messages, "privacy_mode": "flexible", **fields})


def user(text):
    return [{"role": "user", "content": text}]


def outcome(response) -> str:
    """"escalated" (answered locally), "refused" (4xx) or "flexible" (answered by Gemini)."""
    if response.status_code >= 400:
        return "refused"
    return "escalated" if response.headers.get("x-gateway-privacy") == "strict" else "flexible"


# -- 1. strings that start with "data:" and keys named "data" ----------------------------------------------


def test_text_starting_with_data_colon_is_read(gateway, ollama, gemini):
    response = flexible(gateway, user(f"data: please pay {IBAN}"))
    assert outcome(response) == "escalated", response.text
    assert gemini_calls(gemini) == [] and chat_bodies(ollama)


def test_a_tool_parameter_called_data_is_read(gateway, ollama, gemini):
    tool = {"type": "function", "function": {"name": "pay", "parameters": {
        "type": "object", "properties": {"data": {"type": "string", "default": IBAN}}}}}
    response = flexible(gateway, user("pay the usual"), tools=[tool])
    assert outcome(response) != "flexible", response.text  # the local chat model takes no tools: Ollama's 400
    assert gemini.generate_count == 0 and chat_bodies(ollama)


# -- 2. pass-through fields -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("extra_body", {"contents": [{"role": "user", "parts": [{"text": f"pay {IBAN}"}]}]}),
    ("generationConfig", {"stopSequences": [IBAN]}),
    ("response_json_schema", {"description": IBAN}),
    ("system_instruction", IBAN),
])
def test_fields_the_gateway_does_not_read_are_refused(gateway, ollama, gemini, field, value):
    response = flexible(gateway, user("hello"), **{field: value})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == field and error["code"] == "field_not_allowed"
    assert gemini.generate_count == 0 and chat_bodies(ollama) == []


@pytest.mark.parametrize("messages, where", [
    ([{"role": "user", "content": "hi", "cache_control": {"type": "ephemeral"}}], "messages[0].cache_control"),
    ([{"role": "user", "content": [{"type": "text", "text": "hi", "extra": IBAN}]}], "messages[0].content[0].extra"),
    ([{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}], "messages[0].content[0].type"),
    ([{"role": "assistant", "content": "", "tool_calls": [{"id": "1", "type": "function", "x": IBAN,
                                                             "function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "1", "content": "ok"}], "messages[0].tool_calls[0].x"),
])
def test_unknown_keys_inside_messages_are_refused(gateway, ollama, gemini, messages, where):
    response = flexible(gateway, messages)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == where
    assert gemini.generate_count == 0


def test_non_function_tools_are_refused(gateway, ollama, gemini):
    response = flexible(gateway, user("search"), tools=[{"googleSearch": {}}])
    assert response.status_code == 400 and response.json()["error"]["param"] == "tools[0].googleSearch"
    assert gemini.generate_count == 0


def test_responses_previous_response_id_is_refused(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/v1/responses"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "input": "and then?", "previous_response_id": "resp_1", "privacy_mode": "flexible"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "previous_response_id"
    assert gemini.generate_count == 0


def test_strict_requests_keep_their_extra_fields_local(gateway, ollama, gemini):
    """The allowlist is for what may leave; a strict request with an unknown field still stays local."""
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "messages": user(f"pay {IBAN}"), "privacy_mode": "strict", "top_k": 3})
    assert response.status_code == 200, response.text
    assert gemini.generate_count == 0


# -- 3. stop, schemas ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fields", [
    {"stop": [IBAN]},
    {"stop": f"end {IBAN}"},
    {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "object", "description": f"account {IBAN}", "properties": {}}}}},
    {"tool_choice": {"type": "function", "function": {"name": COMPACT}},
     "tools": [{"type": "function", "function": {"name": COMPACT, "parameters": {"type": "object"}}}]},
])
def test_stop_and_schemas_are_read(gateway, ollama, gemini, fields):
    response = flexible(gateway, user("hello"), **fields)
    assert outcome(response) in ("escalated", "refused"), response.text
    assert_not_leaked(gemini)


def test_multipart_stop_is_read(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, data={
        "privacy_mode": "flexible", "messages": json.dumps(user("hello")), "stop": json.dumps([IBAN])})
    assert outcome(response) == "escalated", response.text
    assert_not_leaked(gemini)


# -- 8. redaction replaces what it detects ---------------------------------------------------------------------


def test_redaction_reaches_property_names_and_ids(gateway, ollama, gemini):
    tool = {"type": "function", "function": {"name": "pay", "parameters": {
        "type": "object", "properties": {COMPACT: {"type": "string"}}}}}
    messages = [{"role": "user", "content": f"pay {IBAN}"},
                {"role": "user", "content": [{"type": "file", "file": {"file_id": f"ref {COMPACT}"}}]}]
    response = flexible(gateway, messages, tools=[tool], sensitive_data="redact")
    assert outcome(response) in ("escalated", "flexible", "refused"), response.text
    assert_not_leaked(gemini)


def test_responses_streaming_in_redact_mode_restores_values(gateway, ollama, gemini):
    stream = gateway.client().responses.create(
        model="auto", input=f"Account {IBAN}", stream=True,
        extra_body={"privacy_mode": "flexible", "sensitive_data": "redact"})
    deltas, final = [], ""
    for event in stream:
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
        if event.type == "response.completed":
            final = event.response.output_text
    assert_not_leaked(gemini)
    text = "".join(deltas)
    assert "[IBAN_" not in text and "[IBAN_" not in final
    assert IBAN in text or COMPACT in text


# -- 9. spellings ------------------------------------------------------------------------------------------------


SPELLINGS = {
    "dashes": "ES91-2100-0418-4502-0005-1332",
    "dots": "ES91.2100.0418.4502.0005.1332",
    "lower case": "es91 2100 0418 4502 0005 1332",
    "cyrillic": "ЕS91 2100 0418 4502 0005 1332",
    "json escapes": "\\u0045\\u0053\\u0039\\u0031 2100 0418 4502 0005 1332",
    "base64": base64.b64encode(f"transfer to {IBAN}".encode()).decode(),
    "zero width": "ES91\u200b2100\u200b0418\u200b4502\u200b0005\u200b1332",
}
OTHER_VALUES = {
    "phone with spaces": ("Llámame al 612 34 56 78", "612345678"),
    "dni with dots": ("DNI 12.345.678-Z", "12345678Z"),
    "dni with a space": ("DNI 12345678 Z", "12345678Z"),
    "card with dots": ("card 4111.1111.1111.1111", "4111111111111111"),
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_iban_spellings_are_found(gateway, ollama, gemini, name):
    response = flexible(gateway, user(f"Pay into {SPELLINGS[name]} please"))
    assert outcome(response) == "escalated", response.text
    assert_not_leaked(gemini)


@pytest.mark.parametrize("name", sorted(OTHER_VALUES))
def test_other_spellings_are_found(gateway, ollama, gemini, name):
    text, compact = OTHER_VALUES[name]
    response = flexible(gateway, user(text))
    assert outcome(response) == "escalated", response.text
    assert_not_leaked(gemini, compact)


def test_a_value_split_across_messages_is_found(gateway, ollama, gemini):
    messages = [{"role": "user", "content": "Pay into ES91 2100 0418"},
                {"role": "user", "content": [{"type": "text", "text": "4502 0005 1332"}]}]
    response = flexible(gateway, messages)
    assert outcome(response) == "escalated", response.text
    assert_not_leaked(gemini)


def test_clean_text_with_numbers_stays_flexible(gateway, ollama, gemini):
    response = flexible(gateway, user("Version 2.14.1 shipped on 2026-11-30; 3 of 12 tests; room 4-B."))
    assert outcome(response) == "flexible", response.text
    assert gemini.generate_count == 1


# -- 10. detectors never stall the event loop -----------------------------------------------------------------


def test_a_pathological_text_is_scanned_and_answered(gateway, ollama, gemini):
    """1 MB that a naive email pattern reads in quadratic time: the request is answered and /health with it
    (the time figures are in scripts/bench_escalation.py)."""
    payload = "a." * 500_000 + f" {IBAN}"
    answers: dict[str, int] = {}
    worker = threading.Thread(target=lambda: answers.update(scan=flexible(gateway, user(payload)).status_code))
    worker.start()
    health = httpx.get(gateway.url("/health/liveliness"), timeout=30)
    worker.join(timeout=120)
    assert health.status_code == 200 and answers.get("scan") == 200
    assert_not_leaked(gemini)


# -- 11. conflicts never resolve towards the cloud -------------------------------------------------------------


def test_duplicate_multipart_privacy_mode_is_400(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, files=[
        ("privacy_mode", (None, "strict")), ("privacy_mode", (None, "flexible")),
        ("messages", (None, json.dumps(user("hi"))))])
    assert response.status_code == 400 and "privacy_mode" in response.json()["error"]["message"]
    assert gemini.generate_count == 0 and chat_bodies(ollama) == []


def test_path_and_body_models_must_agree(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/openai/deployments/chat-flexible/chat/completions"), headers=gateway.auth,
                          timeout=60, json={"model": "chat-strict", "messages": user("hi")})
    assert response.status_code == 400 and response.json()["error"]["param"] == "model", response.text
    assert gemini.generate_count == 0


def test_path_model_alone_is_served_through_the_policy(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/openai/deployments/chat-strict/chat/completions"), headers=gateway.auth,
                          timeout=60, json={"messages": user(f"pay {IBAN}")})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict" and gemini.generate_count == 0


def test_query_string_privacy_mode_is_a_carrier(gateway, ollama, gemini):
    conflict = httpx.post(gateway.url("/v1/chat/completions?privacy_mode=strict"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "messages": user("hi"), "privacy_mode": "flexible"})
    assert conflict.status_code == 400 and conflict.json()["error"]["param"] == "privacy_mode"
    alone = httpx.post(gateway.url("/v1/chat/completions?privacy_mode=strict"), headers=gateway.auth, timeout=60,
                       json={"model": "auto", "messages": user("hi")})
    assert alone.status_code == 200 and alone.headers["x-gateway-privacy"] == "strict"
    assert gemini.generate_count == 0


def test_header_and_body_privacy_must_agree(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/v1/chat/completions"), timeout=60,
                          headers={**gateway.auth, "x-privacy-mode": "strict"},
                          json={"model": "auto", "messages": user("hi"), "privacy_mode": "flexible"})
    assert response.status_code == 400 and gemini.generate_count == 0


# -- 12. routes LiteLLM registers lazily are classified before they serve ----------------------------------------


@pytest.mark.parametrize("path, body", [
    ("/prompts/test", {"dotprompt_content": "---\nmodel: chat-flexible\n---\nPay " + IBAN, "prompt_variables": {}}),
    ("/v1/evals", {"name": "x"}),
    ("/v1/messages", {"model": "chat-flexible", "max_tokens": 5, "messages": user(IBAN)}),
])
def test_lazily_registered_routes_are_refused(gateway, ollama, gemini, path, body):
    for _ in range(2):  # the first request makes LiteLLM register the router; the second would use it
        response = httpx.post(gateway.url(path), headers=gateway.auth, json=body, timeout=60)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "route_not_served"
    assert gemini_calls(gemini) == [] and chat_bodies(ollama) == []


def test_route_table_is_classified_again_after_lazy_routes(gateway):
    httpx.post(gateway.url("/prompts/test"), headers=gateway.auth, json={}, timeout=60)
    table = httpx.get(gateway.url("/v1/gateway/surfaces"), headers=gateway.auth, timeout=30).json()
    assert "/prompts/test" in table["refused"]
    assert not table.get("unclassified") or all(path not in table.get("admin", []) for path in table["unclassified"])


def test_every_lazy_router_is_classified_once_loaded(start_gateway, gemini):
    """Load every optional router LiteLLM registers on first use: none is left unclassified, and none reached
    a backend while loading."""
    from litellm.proxy._lazy_features import LAZY_FEATURES

    gateway = start_gateway()
    for feature in LAZY_FEATURES:
        for prefix in feature.path_prefixes:
            httpx.post(gateway.url(prefix.rstrip("/") + "/x"), headers=gateway.auth, json={}, timeout=60)
    table = httpx.get(gateway.url("/v1/gateway/surfaces"), headers=gateway.auth, timeout=30).json()
    assert table.get("unclassified", []) == []
    assert "/prompts/test" in table["refused"] and "/policy/templates/enrich" in table["refused"]
    assert gemini.generate_count == 0


# -- the last step: the body LiteLLM built is read again -----------------------------------------------------------


def test_last_step_reads_the_built_gemini_body():
    """Unit check of the final guard on a Gemini body as LiteLLM builds it (the live path is exercised by every
    flexible test above: a clean request passes it)."""
    import asyncio

    from plugins.platform.errors import GatewayError
    from plugins.policy.privacy_guard import check_cloud_body

    route = {"metadata": {"gateway_route": {"privacy": "flexible", "scanned": True, "surface": "chat"}}}
    clean = {"contents": [{"role": "user", "parts": [{"text": "hello"}, {"inlineData": {"data": "RVM5MQ=="}}]}]}
    asyncio.run(check_cloud_body(clean, route))
    leaking = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
               "generationConfig": {"stopSequences": [IBAN]}}
    with pytest.raises(GatewayError) as refused:
        asyncio.run(check_cloud_body(leaking, route))
    assert refused.value.status_code == 403
    opted_out = {"metadata": {"gateway_route": {"privacy": "flexible", "scanned": False}}}
    asyncio.run(check_cloud_body(leaking, opted_out))  # escalation off for this key: its choice


@pytest.mark.parametrize("where, text", [
    ("tool_description", "ES91-2100-0418-4502-0005-1332"),  # greedy match ran into the next word
    ("tool_result", "es91 2100 0418 4502 0005 1332"),
    ("tool_arguments", "\\u0045\\u0053\\u0039\\u0031 2100 0418 4502 0005 1332"),  # escapes inside JSON arguments
])
def test_found_by_the_property_before_the_last_step(gateway, ollama, gemini, where, text):
    """Cases the property found reaching the last step (403 there): the policy's own scan finds them now."""
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, json=_place(text, where),
                          timeout=120)
    assert response.status_code != 403, response.text
    assert gemini.generate_count == 0 and chat_bodies(ollama)


# -- the property: any field, any spelling ---------------------------------------------------------------------------


def _place(value: str, where: str) -> dict:
    """A flexible chat request holding `value` in the field `where`."""
    tool = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {
        "type": "object", "properties": {"x": {"type": "string", "description": "d"}}}}}
    body: dict = {"model": "auto", "privacy_mode": "flexible", "messages": user("hello")}
    if where == "content":
        body["messages"] = user(f"note: {value}")
    elif where == "part":
        body["messages"] = [{"role": "user", "content": [{"type": "text", "text": "a"},
                                                         {"type": "text", "text": value}]}]
    elif where == "system":
        body["messages"] = [{"role": "system", "content": value}, *user("hello")]
    elif where == "name":
        body["messages"] = [{"role": "user", "content": "hello", "name": value}]
    elif where == "tool_description":
        tool["function"]["description"] = value
        body["tools"] = [tool]
    elif where == "tool_property":
        tool["function"]["parameters"]["properties"] = {value: {"type": "string"}}
        body["tools"] = [tool]
    elif where == "tool_arguments":
        body["tools"] = [tool]
        body["messages"] = [*user("go"), {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": json.dumps({"x": value})}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "done"}]
    elif where == "tool_result":
        body["tools"] = [tool]
        body["messages"] = [*user("go"), {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": value}]
    elif where == "stop":
        body["stop"] = [value]
    elif where == "schema":
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "s", "schema": {
            "type": "object", "properties": {"a": {"type": "string", "description": value}}}}}
    elif where == "unknown_field":
        body["x_extra"] = {"text": value}
    elif where == "unknown_part_key":
        body["messages"] = [{"role": "user", "content": [{"type": "text", "text": "a", "note": value}]}]
    return body


WHERE = ["content", "part", "system", "name", "tool_description", "tool_property", "tool_arguments", "tool_result",
         "stop", "schema", "unknown_field", "unknown_part_key"]
VALUES = [(SPELLINGS[name], COMPACT) for name in sorted(SPELLINGS)] + [
    ("ana.garcia@example.org", "ANAGARCIA@EXAMPLEORG"), ("+34 612 345 678", "34612345678"),
    ("12345678Z", "12345678Z"), ("4111 1111 1111 1111", "4111111111111111")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(WHERE), value=st.sampled_from(VALUES), action=st.sampled_from(["escalate", "redact"]))
def test_no_configured_value_reaches_gemini_from_any_field(gateway, ollama, gemini, where, value, action):
    gemini.reset()
    text, compact = value
    body = _place(text, where)
    body["sensitive_data"] = action
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, json=body, timeout=120)
    assert response.status_code in (200, 400), response.text
    assert compact not in gemini_saw(gemini), (where, text, action)


def test_the_openai_sdk_sees_a_clear_400_for_an_unknown_field(gateway, gemini):
    with pytest.raises(openai.BadRequestError) as refused:
        gateway.client().chat.completions.create(model="auto", messages=user("hi"),
                                                 extra_body={"privacy_mode": "flexible", "x_extra": 1})
    assert "x_extra" in str(refused.value)
    assert gemini.generate_count == 0
