"""The seed's multipart API and the attachment pipeline, against the emulators."""

from __future__ import annotations

import base64
import io
import json
import socket
import subprocess

import httpx
import pytest
import requests
from PIL import Image

from tests import media
from tests.helpers import chat_bodies, gemini_calls, gemini_parts, ollama_images

MB = media.MB


def post(gateway, fields: dict, files: list | None = None, **kwargs):
    return requests.post(
        gateway.url("/v1/chat/completions"), data=fields, files=files or [], headers=gateway.auth, **kwargs
    )


def vision_fields(kind: str = "image", privacy: str = "flexible", count: int = 1, task: str = "vision") -> dict:
    parts = [{"type": "text", "text": "Describe"}] + [{"type": kind, "file_index": i} for i in range(count)]
    return {"task": task, "privacy_mode": privacy, "messages": json.dumps([{"role": "user", "content": parts}])}


# --- the seed's examples, verbatim apart from the key header ---------------------------------


def curl(gateway, *args: str, cwd=None) -> dict:
    command = ["curl", "-sS", "-X", "POST", gateway.url("/v1/chat/completions"),
               "-H", f"Authorization: Bearer {gateway.master_key}", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120, check=True)
    return json.loads(done.stdout)


def test_seed_example_1_simple_chat(gateway, ollama, gemini):
    reply = curl(gateway, "-F", "task=chat", "-F", "privacy_mode=strict",
                 "-F", 'messages=[{"role":"user","content":"Resume este texto confidencial"}]')
    assert reply["model"] == "chat-strict"
    assert "Resume este texto confidencial" in reply["choices"][0]["message"]["content"]
    assert chat_bodies(ollama)[0]["messages"][-1]["content"] == "Resume este texto confidencial"
    assert gemini_calls(gemini) == [] and gemini.upload_count == 0


def test_seed_example_2_vision_with_image(gateway, ollama, gemini, tmp_path):
    (tmp_path / "imagen.jpg").write_bytes(media.noisy_jpeg(20_000))
    reply = curl(gateway, "-F", "task=vision", "-F", "privacy_mode=flexible",
                 "-F", 'messages=[{"role":"user","content":[{"type":"text","text":"¿Qué ves?"},'
                 '{"type":"image","file_index":0}]}]',
                 "-F", "files=@imagen.jpg", cwd=tmp_path)
    assert reply["model"] == "vision-flexible"
    parts = gemini_parts(gemini)
    assert any(part.get("inlineData", {}).get("mimeType") == "image/jpeg" for part in parts)
    assert gemini.upload_count == 0


def test_seed_example_3_large_audio_goes_through_the_file_api(gateway, ollama, gemini, tmp_path):
    (tmp_path / "audio_large.mp3").write_bytes(media.mp3(6 * MB))
    reply = curl(gateway, "-F", "task=vision", "-F", "privacy_mode=flexible",
                 "-F", 'messages=[{"role":"user","content":[{"type":"text","text":"Transcribe"},'
                 '{"type":"audio","file_index":0}]}]',
                 "-F", "files=@audio_large.mp3", cwd=tmp_path)
    assert reply["model"] == "vision-flexible"
    assert gemini.upload_count == 1
    file_parts = [part["fileData"] for part in gemini_parts(gemini) if "fileData" in part]
    assert len(file_parts) == 1
    assert file_parts[0]["fileUri"].startswith("https://generativelanguage.googleapis.com/v1beta/files/")
    assert file_parts[0]["mimeType"] == "audio/mp3"
    assert chat_bodies(ollama) == []


def test_seed_python_requests_example(gateway, ollama, gemini, tmp_path):
    response = requests.post(
        gateway.url("/v1/chat/completions"),
        headers=gateway.auth,
        data={"task": "chat", "privacy_mode": "strict", "messages": json.dumps([{"role": "user", "content": "Hola"}])},
    )
    assert "Hola" in response.json()["choices"][0]["message"]["content"]
    image = tmp_path / "imagen.jpg"
    image.write_bytes(media.noisy_jpeg(10_000))
    with open(image, "rb") as f:
        response = requests.post(
            gateway.url("/v1/chat/completions"),
            headers=gateway.auth,
            data={
                "task": "vision",
                "privacy_mode": "flexible",
                "messages": json.dumps([{"role": "user", "content": [
                    {"type": "text", "text": "Describe"}, {"type": "image", "file_index": 0}]}]),
            },
            files=[("files", ("imagen.jpg", f, "image/jpeg"))],
        )
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "vision-flexible"


# --- flexible: inline vs File API -----------------------------------------------------------


def test_small_image_is_inlined(gateway, ollama, gemini):
    response = post(gateway, vision_fields(), [("files", ("a.png", media.png(), "image/png"))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-attachments"] == "image/png:inline"
    assert gemini.upload_count == 0


@pytest.mark.parametrize(
    ("kind", "make", "mime"),
    # Images are re-encoded at most ocr_max_side (1600) large: only a noise PNG stays over the 5 MB threshold.
    [("image", lambda size, seed: media.noisy_png(1600, seed), "image/png"), ("audio", media.mp3, "audio/mp3"),
     ("video", media.mp4, "video/mp4")],
)
def test_large_files_are_uploaded_and_awaited(gateway, ollama, gemini, kind, make, mime):
    gemini.processing_polls = 2
    data = make(5 * MB, seed=10)
    response = post(gateway, vision_fields(kind), [("files", ("upload.bin", data, "application/octet-stream"))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-attachments"] == f"{mime}:file_api"
    assert gemini.upload_count == 1
    file_parts = [part["fileData"] for part in gemini_parts(gemini) if "fileData" in part]
    assert [part["mimeType"] for part in file_parts] == [mime]
    status_checks = [call for call in gemini.requests if call.method == "GET" and "/files/" in call.path]
    assert len(status_checks) >= 2  # PROCESSING was seen and waited out


def test_failed_file_is_502_with_the_reason(gateway, ollama, gemini):
    gemini.fail_next_file("Unsupported audio encoding")
    response = post(gateway, vision_fields("audio"), [("files", ("a.mp3", media.mp3(5 * MB, seed=11), "audio/mpeg"))])
    assert response.status_code == 502
    assert "Unsupported audio encoding" in response.text
    assert gemini.generate_count == 0


def test_repeated_upload_is_reused(gateway, ollama, gemini):
    data = media.mp3(5 * MB, seed=12)
    for _ in range(2):
        response = post(gateway, vision_fields("audio"), [("files", ("a.mp3", data, "audio/mpeg"))])
        assert response.status_code == 200, response.text
    assert gemini.upload_count == 1
    assert gemini.generate_count == 2


def test_whole_request_size_decides_inline_vs_upload(gateway, ollama, gemini):
    # Four ~4 MB images: each is under the 5 MB threshold, but together (+1/3 for base64) they exceed
    # the 20 MB inline budget, so the largest is uploaded.
    files = [("files", (f"{i}.png", media.noisy_png(1150 + i, seed=20 + i), "image/png")) for i in range(4)]
    response = post(gateway, vision_fields(count=4), files)
    assert response.status_code == 200, response.text
    placements = response.headers["x-gateway-attachments"].split(",")
    assert placements.count("image/png:file_api") == 1 and placements.count("image/png:inline") == 3
    assert gemini.upload_count == 1


def test_json_parts_use_the_same_pipeline(gateway, ollama, gemini):
    audio = media.mp3(5 * MB, seed=13)
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "Transcribe"},
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(audio).decode(), "format": "mp3"}},
        {"type": "file", "file": {"file_data": media.data_uri("application/pdf", media.pdf(1))}},
    ]}]
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=messages, extra_body={"task": "vision", "privacy_mode": "flexible"}
    )
    assert raw.headers["x-gateway-attachments"] == "audio/mp3:file_api,application/pdf:inline"
    assert gemini.upload_count == 1


# --- strict: local only ---------------------------------------------------------------------


def test_strict_large_image_is_downscaled_for_ollama(gateway, ollama, gemini):
    big = media.noisy_jpeg(6 * MB)
    response = post(gateway, vision_fields(privacy="strict"), [("files", ("big.jpg", big, "image/jpeg"))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-attachments"] == "image/jpeg:local"
    (image,) = ollama_images(ollama)
    decoded = Image.open(io.BytesIO(base64.b64decode(image)))
    assert max(decoded.size) <= 1536 and len(base64.b64decode(image)) < len(big)
    assert gemini.requests == []


def test_strict_pdf_is_rasterised_to_page_images(gateway, ollama, gemini):
    response = post(gateway, vision_fields("file", "strict", task="ocr"), [("files", ("a.pdf", media.pdf(3), "x/y"))])
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "ocr-strict"
    images = ollama_images(ollama)
    assert len(images) == 3
    assert all(Image.open(io.BytesIO(base64.b64decode(image))).format == "JPEG" for image in images)
    assert gemini.requests == []


@pytest.mark.parametrize(("kind", "make", "label"), [("audio", lambda: media.wav(), "Transcript of f (0:00)"),
                                                     ("video", lambda: media.mp4(1000), "Video f (0:00)")])
def test_strict_audio_and_video_are_handled_locally(gateway, ollama, gemini, kind, make, label):
    """Transcribed (and framed) on this machine; tests/test_audio.py covers it with real speech."""
    response = post(gateway, vision_fields(kind, "strict"), [("files", ("f", make(), "application/octet-stream"))])
    assert response.status_code == 200, response.text
    assert label in chat_bodies(ollama)[-1]["messages"][-1]["content"]
    assert gemini.requests == []


def test_strict_large_audio_is_never_uploaded(gateway, ollama, gemini):
    response = post(gateway, vision_fields("audio", "strict"), [("files", ("a.mp3", media.mp3(6 * MB), "audio/mpeg"))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-attachments"] == "audio/mp3:local"
    assert gemini.requests == []


# --- limits and bad input ---------------------------------------------------------------------


def test_over_100_mb_is_413(gateway, ollama, gemini, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(100 * MB + 1)
    with open(big, "rb") as handle:
        response = post(gateway, vision_fields(), [("files", ("big.jpg", handle, "image/jpeg"))])
    assert response.status_code == 413
    assert gemini.requests == []


def test_declared_oversize_is_refused_before_reading(gateway):
    """The gateway answers 413 from the Content-Length alone, having read (almost) nothing."""
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=30) as connection:
        connection.sendall(
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.master_key}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {200 * MB}\r\n\r\n--x\r\n".encode()
        )
        status_line = connection.recv(65536).split(b"\r\n", 1)[0]
    assert b" 413 " in status_line


def test_unsupported_type_is_415_naming_it(gateway, ollama, gemini):
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.txt", "hello")
    response = post(gateway, vision_fields("file"), [("files", ("a.jpg", zipped.getvalue(), "image/jpeg"))])
    assert response.status_code == 415
    assert "application/zip" in response.text
    assert gemini.requests == []


@pytest.mark.parametrize(
    ("fields", "files", "expected"),
    [
        ({"task": "chat", "messages": '[{"role":"user","content":"x"'}, [], "line 1 column"),
        ({"task": "chat"}, [], "'messages' is required"),
        ({"messages": json.dumps([{"role": "user", "content": [{"type": "image", "file_index": 3}]}])},
         [("files", ("a.png", media.png(), "image/png"))], "out of range"),
        ({"messages": json.dumps([{"role": "user", "content": "no files used"}])},
         [("files", ("a.png", media.png(), "image/png"))], "not referenced"),
        ({"messages": json.dumps([{"role": "user", "content": [{"type": "image", "file_index": 0}]}])},
         [("files", ("a.png", b"", "image/png"))], "empty"),
        ({"messages": json.dumps([{"role": "user", "content": [{"type": "image", "file_index": "0"}]}])},
         [("files", ("a.png", media.png(), "image/png"))], "non-negative integer"),
    ],
)
def test_bad_input_is_400_and_nothing_is_sent(gateway, ollama, gemini, fields, files, expected):
    response = post(gateway, {"privacy_mode": "flexible", **fields}, files)
    assert response.status_code == 400, response.text
    assert expected in response.json()["error"]["message"]
    assert gemini.requests == [] and chat_bodies(ollama) == []


def test_truncated_multipart_body_is_400(gateway, ollama, gemini):
    body = (b'--b\r\nContent-Disposition: form-data; name="messages"\r\n\r\n[{"role":"user","content":"x"}]\r\n'
            b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + media.png()[:40])
    response = httpx.post(
        gateway.url("/v1/chat/completions"),
        headers={**gateway.auth, "content-type": "multipart/form-data; boundary=b"},
        content=body,
    )
    assert response.status_code == 400
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_multipart_needs_a_key(gateway, ollama, gemini):
    response = requests.post(gateway.url("/v1/chat/completions"), data=vision_fields("image", "strict"),
                             files=[("files", ("a.png", media.png(), "image/png"))])
    assert response.status_code == 401
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_multipart_streaming(gateway, ollama, gemini):
    fields = {**vision_fields(privacy="strict"), "stream": "true"}
    response = post(gateway, fields, [("files", ("a.png", media.png(), "image/png"))], stream=True)
    assert response.status_code == 200
    events = [line for line in response.iter_lines() if line.startswith(b"data: ")]
    assert events[-1] == b"data: [DONE]"
    assert gemini.requests == []
