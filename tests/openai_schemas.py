"""JSON Schemas of the OpenAI objects the gateway returns, written from the required fields and types
of OpenAI's published OpenAPI spec (github.com/openai/openai-openapi, openapi.yaml at commit f85dbe2;
schemas CreateChatCompletionResponse, CreateChatCompletionStreamResponse, CreateEmbeddingResponse,
ListModelsResponse, Model, ErrorResponse). Nullable fields are `["x", "null"]`."""

from __future__ import annotations

NULLABLE_STRING = {"type": ["string", "null"]}
USAGE = {"type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
         "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"},
                        "total_tokens": {"type": "integer"}}}
TOOL_CALL = {"type": "object", "required": ["id", "type", "function"], "properties": {
    "id": {"type": "string"}, "type": {"enum": ["function"]},
    "function": {"type": "object", "required": ["name", "arguments"],
                 "properties": {"name": {"type": "string"}, "arguments": {"type": "string"}}}}}
FINISH = {"enum": ["stop", "length", "tool_calls", "content_filter", "function_call"]}

CHAT_COMPLETION = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"}, "object": {"enum": ["chat.completion"]}, "created": {"type": "integer"},
        "model": {"type": "string"}, "usage": USAGE, "system_fingerprint": NULLABLE_STRING,
        "choices": {"type": "array", "items": {
            "type": "object", "required": ["finish_reason", "index", "message", "logprobs"],
            "properties": {
                "finish_reason": FINISH, "index": {"type": "integer"},
                "logprobs": {"type": ["object", "null"]},
                "message": {"type": "object", "required": ["role", "content", "refusal"], "properties": {
                    "role": {"enum": ["assistant"]}, "content": NULLABLE_STRING, "refusal": NULLABLE_STRING,
                    "tool_calls": {"type": "array", "items": TOOL_CALL}}},
            }}},
    },
}

CHAT_CHUNK = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"}, "object": {"enum": ["chat.completion.chunk"]}, "created": {"type": "integer"},
        "model": {"type": "string"}, "usage": {"anyOf": [USAGE, {"type": "null"}]},
        "choices": {"type": "array", "items": {
            "type": "object", "required": ["delta", "finish_reason", "index"],
            "properties": {
                "index": {"type": "integer"}, "finish_reason": {"anyOf": [FINISH, {"type": "null"}]},
                "delta": {"type": "object", "properties": {"content": NULLABLE_STRING, "refusal": NULLABLE_STRING,
                                                           "role": {"enum": ["developer", "system", "user",
                                                                             "assistant", "tool"]}}},
            }}},
    },
}

EMBEDDINGS = {
    "type": "object", "required": ["object", "model", "data", "usage"],
    "properties": {
        "object": {"enum": ["list"]}, "model": {"type": "string"},
        "data": {"type": "array", "items": {"type": "object", "required": ["index", "object", "embedding"],
                                            "properties": {"index": {"type": "integer"},
                                                           "object": {"enum": ["embedding"]},
                                                           "embedding": {"type": ["array", "string"]}}}},
        "usage": {"type": "object", "required": ["prompt_tokens", "total_tokens"]},
    },
}

MODEL = {"type": "object", "required": ["id", "object", "created", "owned_by"],
         "properties": {"id": {"type": "string"}, "object": {"enum": ["model"]}, "created": {"type": "integer"},
                        "owned_by": {"type": "string"}}}
MODELS = {"type": "object", "required": ["object", "data"],
          "properties": {"object": {"enum": ["list"]}, "data": {"type": "array", "items": MODEL}}}

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["type", "message", "param", "code"],
    "properties": {"code": NULLABLE_STRING, "message": {"type": "string"}, "param": NULLABLE_STRING,
                   "type": {"type": "string"}}}}}
