"""Audio and video on this machine: real speech (espeak-ng), real Whisper tiny.en weights, the real proxy.

Strict audio becomes a transcript and strict video its transcript plus keyframes, all made locally;
flexible audio and video are transcribed (and their frames OCR'd) before anything is uploaded; and
`/v1/audio/transcriptions` is served by the same local model. Every test checks what reached the
Ollama and Gemini emulators.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
import soundfile
from PIL import Image, ImageDraw, ImageFont

from tests.helpers import chat_bodies, gemini_calls, gemini_parts, ollama_images

SENTENCE = "This recording is confidential, the meeting moves to Thursday at 10."
CLEAN = "The weather is nice today and the garden is green."


@functools.lru_cache(maxsize=8)
def speech(text: str) -> bytes:
    """`text` spoken by espeak-ng, as a WAV file."""
    if not shutil.which("espeak-ng"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "espeak-ng"], capture_output=True, timeout=300)
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed and could not be installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True, timeout=60)
        return path.read_bytes()


def video(text: str, seconds: int = 4, fps: int = 4) -> bytes:
    """An H.264 + AAC mp4 made with PyAV: one keyframe a second, each frame labelled, `text` spoken."""
    import av

    pcm, rate = soundfile.read(io.BytesIO(speech(text)), dtype="float32")
    output = io.BytesIO()
    with av.open(output, mode="w", format="mp4") as container:
        picture = container.add_stream("libx264", rate=fps)
        picture.width, picture.height, picture.pix_fmt = 640, 360, "yuv420p"
        picture.options = {"g": str(fps)}
        sound = container.add_stream("aac", rate=rate)
        sound.layout = "mono"
        font = ImageFont.load_default(size=40)
        for index in range(seconds * fps):
            image = Image.new("RGB", (640, 360), (30 + 50 * (index // fps), 80, 150))
            ImageDraw.Draw(image).text((40, 150), f"Slide {index // fps + 1}", fill="white", font=font)
            for packet in picture.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in picture.encode():
            container.mux(packet)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in [*sound.encode(frame), *sound.encode()]:
            container.mux(packet)
    return output.getvalue()


def silent_flac(minutes: float) -> bytes:
    """A small FLAC of silence whose header declares `minutes` (the length check must not decode it)."""
    output = io.BytesIO()
    with soundfile.SoundFile(output, "w", samplerate=8000, channels=1, format="FLAC") as sound:
        for _ in range(int(minutes * 60)):
            sound.write(np.zeros(8000, dtype="int16"))
    return output.getvalue()


def chat(gateway, privacy: str, kind: str, data: bytes, name: str = "memo.wav", task: str | None = None,
         path: str = "/v1/chat/completions", **part_options) -> httpx.Response:
    parts = [{"type": "text", "text": "Summarise this"}, {"type": kind, "file_index": 0, **part_options}]
    fields = {"privacy_mode": privacy, "messages": json.dumps([{"role": "user", "content": parts}])}
    if task:
        fields["task"] = task
    return httpx.post(gateway.url(path), headers=gateway.auth, timeout=180, data=fields,
                      files={"files": (name, data, "application/octet-stream")})


def last_user_text(ollama) -> str:
    return chat_bodies(ollama)[-1]["messages"][-1]["content"]


# --- strict: transcribed and framed here, nothing uploaded -----------------------------------


def test_strict_audio_reaches_the_local_model_as_its_transcript(gateway, ollama, gemini):
    response = chat(gateway, "strict", "audio", speech(SENTENCE))
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "chat-strict"
    assert response.headers["x-gateway-attachments"] == "audio/wav:local"
    text = last_user_text(ollama)
    assert text.startswith("Summarise this") and "Transcript of memo.wav (0:04): " in text
    assert all(word in text.lower() for word in ("recording", "confidential", "meeting", "thursday")), text
    assert gemini.requests == [] and gemini.upload_count == 0


def test_strict_audio_as_input_audio_with_timestamps(gateway, ollama, gemini):
    part = {"type": "input_audio", "input_audio": {"data": base64.b64encode(speech(SENTENCE)).decode(),
                                                   "format": "wav"}, "timestamps": True}
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": [part]}], extra_body={"privacy_mode": "strict"})
    assert raw.parse().model == "chat-strict"
    text = last_user_text(ollama)
    assert text.startswith("Transcript of audio (0:04):\n[0:00-0:04] ") and "thursday" in text.lower(), text
    assert gemini.requests == []


def test_strict_video_sends_frames_and_transcript_to_the_vision_model(gateway, ollama, gemini):
    response = chat(gateway, "strict", "video", video(SENTENCE), name="standup.mp4")
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "vision-strict"  # a video part makes the task vision
    assert response.headers["x-gateway-attachments"] == "video/mp4:local"
    text = last_user_text(ollama)
    assert "Video standup.mp4 (0:04): 4 frames follow, taken at 0:00, 0:01, 0:02, 0:03." in text, text
    assert "confidential" in text.lower() and "thursday" in text.lower()
    images = [Image.open(io.BytesIO(base64.b64decode(image))) for image in ollama_images(ollama)]
    assert len(images) == 4 and all(image.format == "JPEG" and image.size == (640, 360) for image in images)
    assert chat_bodies(ollama)[-1]["model"] == "qwen3-vl:8b"
    assert gemini.requests == []


def test_explain_reports_the_plan_without_transcribing(gateway, ollama, gemini):
    response = chat(gateway, "strict", "video", video(CLEAN), name="clip.mp4", path="/v1/route/explain")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["group"] == "vision-strict" and plan["privacy"] == "strict"
    local = plan["attachments"][0]["local"]
    assert local["transcribe"] == "model" and local["frames"] == 4 and 3.9 < local["seconds"] < 4.5, plan
    assert "language" not in local  # a plan: nothing was transcribed
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_audit_line_records_the_transcription_without_content(gateway, ollama, gemini):
    chat(gateway, "strict", "audio", speech(SENTENCE), name="board.wav").raise_for_status()
    deadline = time.monotonic() + 10
    lines: list[dict] = []
    while time.monotonic() < deadline and not lines:
        lines = [json.loads(line) for line in gateway.log().splitlines() if line.startswith('{"attachments"')]
        lines = [line for line in lines if line["attachments"] and line["attachments"][0].get("local")]
        time.sleep(0.2)
    local = lines[-1]["attachments"][0]["local"]
    assert local["language"] == "en" and local["segments"] >= 1 and 3.9 < local["seconds"] < 4.5
    assert "thursday" not in json.dumps(lines).lower() and "board.wav" not in json.dumps(lines)


# --- flexible: read here before anything is uploaded -----------------------------------------


def test_flexible_audio_without_sensitive_data_goes_to_gemini(gateway, ollama, gemini):
    response = chat(gateway, "flexible", "audio", speech(CLEAN))
    assert response.status_code == 200, response.text
    assert "x-gateway-escalated" not in response.headers
    assert response.json()["model"] == "chat-flexible"
    assert any(part.get("inlineData", {}).get("mimeType") == "audio/wav" for part in gemini_parts(gemini))
    assert chat_bodies(ollama) == []


def test_flexible_audio_with_a_spoken_phone_number_escalates(gateway, ollama, gemini):
    response = chat(gateway, "flexible", "audio", speech("My phone number is 612 345 678."))
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert response.json()["model"] == "chat-strict"
    assert "612" in last_user_text(ollama)
    assert gemini_calls(gemini) == [] and gemini.upload_count == 0


def test_flexible_audio_and_video_with_a_keyword_escalate(start_gateway, ollama, gemini):
    watching = start_gateway({"gateway": {"escalation": {"keywords": ["confidential"]}}})
    response = chat(watching, "flexible", "audio", speech(SENTENCE))
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert "confidential" in last_user_text(ollama).lower()
    response = chat(watching, "flexible", "video", video(SENTENCE), name="clip.mp4")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert response.json()["model"] == "vision-strict" and len(ollama_images(ollama)) == 4
    response = chat(watching, "flexible", "video", video(CLEAN), name="clean.mp4")
    assert response.status_code == 200 and "x-gateway-escalated" not in response.headers
    assert response.json()["model"] == "vision-flexible"
    assert [call.path for call in gemini_calls(gemini)] == ["/v1beta/models/gemini-2.5-flash:generateContent"]
    assert gemini.upload_count == 0  # the escalated ones were never uploaded; the clean clip was inlined


# --- /v1/audio/transcriptions, served locally --------------------------------------------------


def test_transcriptions_api_in_every_format(gateway, ollama, gemini):
    client, audio = gateway.client(), ("memo.wav", speech(SENTENCE))
    as_json = client.audio.transcriptions.create(model="whisper-local", file=audio)
    assert "thursday" in as_json.text.lower() and "confidential" in as_json.text.lower()
    text = client.audio.transcriptions.create(model="whisper-local", file=audio, response_format="text")
    assert isinstance(text, str) and text.strip() == as_json.text
    srt = client.audio.transcriptions.create(model="whisper-local", file=audio, response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:0") and as_json.text in srt
    vtt = client.audio.transcriptions.create(model="whisper-local", file=audio, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:0") and as_json.text in vtt
    verbose = client.audio.transcriptions.create(model="whisper-local", file=audio, response_format="verbose_json",
                                                 language="en", temperature=0, prompt="Meeting notes.",
                                                 timestamp_granularities=["word", "segment"])
    assert verbose.language == "english" and 3.9 < verbose.duration < 4.5 and verbose.text == as_json.text
    assert verbose.segments and verbose.segments[0].start == 0.0
    assert [word.word for word in verbose.words][:2] == ["This", "recording"]
    raw = client.audio.translations.with_raw_response.create(model="whisper-local", file=audio)
    assert "thursday" in raw.parse().text.lower() and raw.headers["x-gateway-privacy"] == "strict"
    assert raw.headers["x-gateway-group"] == "whisper-local" and raw.headers["x-gateway-model"] == "model"
    assert gemini.requests == [] and chat_bodies(ollama) == []
    metrics = httpx.get(gateway.url("/metrics"), headers=gateway.auth, timeout=30).text
    assert 'gateway_transcription_audio_seconds_total{use="api"}' in metrics
    assert 'gateway_transcription_seconds_count{use="api"}' in metrics


def test_whisper_local_is_listed_and_serves_nothing_else(gateway, ollama, gemini):
    assert "whisper-local" in {model.id for model in gateway.client().models.list()}
    with pytest.raises(openai.NotFoundError):
        gateway.client().chat.completions.create(model="whisper-local", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        gateway.client().embeddings.create(model="whisper-local", input="hi")
    with pytest.raises(openai.BadRequestError, match="not a transcription model"):
        gateway.client().audio.transcriptions.create(model="chat-flexible", file=("a.wav", speech(CLEAN)))
    json_body = httpx.post(gateway.url("/v1/audio/transcriptions"), headers=gateway.auth, json={"model": "x"})
    assert json_body.status_code == 400 and json_body.json()["error"]["param"] == "file"
    unknown = httpx.post(gateway.url("/v1/audio/transcriptions"), headers=gateway.auth, timeout=60,
                         data={"model": "whisper-local", "api_base": "http://elsewhere"},
                         files={"file": ("a.wav", speech(CLEAN))})
    assert unknown.status_code == 400 and "api_base" in unknown.json()["error"]["message"]
    for method, path in (("POST", "/v1/audio/speech"), ("GET", "/v1/audio/transcriptions"),
                         ("POST", "/openai/deployments/whisper-local/audio/transcriptions")):
        assert httpx.request(method, gateway.url(path), headers=gateway.auth, json={}).status_code == 404, path
    assert httpx.post(gateway.url("/v1/audio/transcriptions"), files={"file": ("a.wav", b"x")}).status_code == 401
    assert gemini.requests == [] and chat_bodies(ollama) == []


# --- limits and failures -------------------------------------------------------------------------


def test_too_long_audio_is_413_before_it_is_decoded(gateway, ollama, gemini):
    long_audio = silent_flac(61)  # gateway.transcription.max_audio_minutes is 60
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as refused:
        gateway.client().audio.transcriptions.create(model="whisper-local", file=("long.flac", long_audio))
    assert refused.value.status_code == 413 and "max_audio_minutes" in refused.value.message
    response = chat(gateway, "strict", "audio", long_audio, name="long.flac")
    assert response.status_code == 413, response.text
    assert time.monotonic() - started < 10
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_undecodable_audio_and_video_are_400(gateway, ollama, gemini):
    with pytest.raises(openai.BadRequestError, match="could not be decoded"):
        gateway.client().audio.transcriptions.create(model="whisper-local", file=("a.mp3", b"not audio at all"))
    with pytest.raises(openai.BadRequestError, match="empty"):
        gateway.client().audio.translations.create(model="whisper-local", file=("a.mp3", b""))
    typed_but_broken = {"audio": b"ID3\x04" + bytes(5000), "video": b"\x00\x00\x00\x18ftypisom" + bytes(5000)}
    for kind, data in typed_but_broken.items():  # typed from their first bytes, but nothing in them decodes
        for privacy in ("strict", "flexible"):
            response = chat(gateway, privacy, kind, data)
            assert response.status_code == 400, (kind, privacy, response.text)
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_missing_model_is_503_naming_the_download_script(start_gateway, ollama, gemini):
    missing = start_gateway({"gateway": {"transcription": {"source": "large-v3-turbo", "load": "background"}}},
                            env={"HF_HOME": tempfile.mkdtemp()})
    with pytest.raises(openai.APIStatusError) as refused:
        missing.client().audio.transcriptions.create(model="whisper-local", file=("a.wav", speech(CLEAN)))
    assert refused.value.status_code == 503 and "scripts/download_models transcription" in refused.value.message
    for privacy in ("strict", "flexible"):  # flexible audio cannot be checked, so it is not uploaded either
        response = chat(missing, privacy, "audio", speech(CLEAN))
        assert response.status_code == 503, response.text
        assert "scripts/download_models" in response.json()["error"]["message"]
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_strict_kinds_not_accepted_are_still_422(start_gateway, ollama, gemini):
    images_only = start_gateway({"gateway": {"attachments": {"strict": {"accepts": ["image", "pdf"]}}}})
    response = chat(images_only, "strict", "audio", speech(CLEAN))
    assert response.status_code == 422 and "gateway.attachments.strict.accepts" in response.text
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_download_script_knows_the_transcription_model(capsys):
    from embedding_server.download import download_transcription
    from tests.conftest import whisper_tiny_dir

    assert download_transcription(whisper_tiny_dir()) is None  # a directory: nothing to fetch
    assert "local directory" in capsys.readouterr().out
    with pytest.raises(ValueError, match="large-v3-turbo"):  # the error lists the names it knows
        download_transcription("no-such-whisper")


def test_spoken_numbers_are_also_read_as_written():
    from plugins.attachments.transcription import as_written

    assert as_written("Call plus 34, 612, 345, 678.").endswith("\nCall +34 612 345 678.")
    assert as_written("Nothing to change here.") == "Nothing to change here."


def test_scan_options_pad_speech_little_and_cap_tokens_within_whispers_limit():
    from plugins.attachments.audio_scan import scan_options

    settings = {"language": "auto", "scan_beam_size": 1, "scan_batch_size": 8, "scan_vad_pad_ms": 100,
                "scan_max_new_tokens": 224}
    options = scan_options(settings)
    assert options["vad_parameters"]["speech_pad_ms"] == 100 and options["max_new_tokens"] == 224
    assert options["language"] is None and options["without_timestamps"] is True
    assert scan_options({**settings, "scan_max_new_tokens": 0})["max_new_tokens"] is None  # Whisper's own 448
    assert scan_options({**settings, "scan_max_new_tokens": 1000})["max_new_tokens"] == 440  # + the prompt <= 448
