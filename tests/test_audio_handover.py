"""The hand-over from the flexible-audio scan to what follows it (issue 30): a decodable recording is
never answered 400, whether its scan finished or ran out of budget mid-window.

The scan runs in a worker thread on the spooled upload; a scan the request stopped waiting for used
to keep reading that file while the strict transcription (or the remux for Gemini) read it too, and
an MP3 came back 400 "could not be decoded". Recordings here are real speech (espeak-ng), encoded
with PyAV as a recorder would (MP3 32 kbps, M4A/AAC, OGG/Opus, WAV), and long enough (over one
30 s window) to be scanned window by window.
"""

from __future__ import annotations

import functools
import io

import numpy as np
import soundfile

from tests import media
from tests.helpers import chat_bodies, gemini_calls, gemini_parts
from tests.media import encoded
from tests.test_audio import chat, last_user_text, speech
from tests.test_long_audio import recording

KINDS = ["mp3", "m4a", "ogg", "wav"]


@functools.lru_cache(maxsize=4)
def meeting(kind: str, seconds: float = 45) -> bytes:
    pcm, rate = soundfile.read(io.BytesIO(recording(seconds)), dtype="float32")
    return encoded(pcm, rate, kind)


def test_audio_whose_scan_runs_out_of_budget_is_strict_not_400(start_gateway, ollama, gemini):
    """A budget of 1 s ends while the first window is being heard, for every container."""
    hurried = start_gateway({"gateway": {"escalation": {"scan_timeout_s": 1},
                                         "transcription": {"scan_min_speed": 1000, "scan_max_s": 1}}})
    for kind in KINDS:
        ollama.clear(), gemini.clear()
        response = chat(hurried, "flexible", "audio", meeting(kind), name=f"meeting.{kind}")
        assert response.status_code == 200, (kind, response.text)
        assert response.headers["x-gateway-privacy"] == "strict", kind
        assert response.headers["x-gateway-escalated"] == "unscanned-content", kind
        text = last_user_text(ollama).lower()
        assert "quarterly" in text and "finally" in text, (kind, text)  # whole, from the file the scan let go of
        assert len(chat_bodies(ollama)) == 1, kind
        assert [record for record in gemini.requests if record.method != "GET"] == [], kind  # nothing uploaded


def test_audio_scanned_within_its_length_budget_goes_to_gemini_through_the_file_api(start_gateway, ollama,
                                                                                     gemini):
    """scan_timeout_s alone (1 s) could not hear 45 s; a budget of length / 1 can: flexible, uploaded."""
    patient = start_gateway({"gateway": {"escalation": {"scan_timeout_s": 1},
                                         "transcription": {"scan_min_speed": 1, "scan_max_s": 300},
                                         "attachments": {"inline_threshold_mb": 0.01}}})
    ollama.clear(), gemini.clear()
    response = chat(patient, "flexible", "audio", meeting("mp3"), name="meeting.mp3")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert "x-gateway-escalated" not in response.headers
    assert len(gemini_calls(gemini)) == 1 and chat_bodies(ollama) == []
    assert any("fileData" in part for part in gemini_parts(gemini))
    assert gemini.upload_count == 1


PHONE = "My phone number is 612 345 678."


def with_phone(seconds: float = 45) -> tuple[np.ndarray, int]:
    """A meeting with PHONE said after its first 35 s (the batched scan must hear it mid-recording)."""
    pcm, rate = soundfile.read(io.BytesIO(recording(seconds)), dtype="float32")
    phone, phone_rate = soundfile.read(io.BytesIO(speech(PHONE)), dtype="float32")
    assert phone_rate == rate
    cut = 35 * rate
    return np.concatenate([pcm[:cut], phone, pcm[cut:]]), rate


def test_a_number_spoken_mid_recording_is_heard_by_the_batched_scan(start_gateway, ollama, gemini):
    gateway = start_gateway({"gateway": {"transcription": {"scan_window_s": 30}}})  # two windows
    ollama.clear(), gemini.clear()
    pcm, rate = with_phone()
    response = chat(gateway, "flexible", "audio", encoded(pcm, rate, "mp3"), name="meeting.mp3")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict"
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert [record for record in gemini.requests if record.method != "GET"] == []


def test_a_number_in_one_phase_inverted_channel_of_a_stereo_recording_is_heard(gateway, ollama, gemini):
    """Mixed to mono, a channel and its inverse cancel out to silence: the scan hears each channel."""
    ollama.clear(), gemini.clear()
    phone, rate = soundfile.read(io.BytesIO(speech(PHONE)), dtype="float32")
    output = io.BytesIO()
    soundfile.write(output, np.stack([phone, -phone], axis=1), rate, format="WAV", subtype="PCM_16")
    stereo = output.getvalue()
    mixed, _ = soundfile.read(io.BytesIO(stereo), dtype="float32")
    assert np.abs(mixed.mean(axis=1)).max() < 1e-3  # the mono mix really is silence
    response = chat(gateway, "flexible", "audio", stereo, name="call.wav")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert [record for record in gemini.requests if record.method != "GET"] == []



def test_a_short_stereo_clip_does_not_make_later_long_recordings_strict(gateway, ollama, gemini):
    """A short clip's scan is slow per second heard (fixed costs, both channels): its speed used to be what
    predicted the next recording's, and 6 MB of music after it was judged too long to hear -> strict."""
    quiet, rate = soundfile.read(io.BytesIO(speech("The weather is fine today.")), dtype="float32")
    output = io.BytesIO()
    soundfile.write(output, np.stack([quiet, quiet], axis=1), rate, format="WAV", subtype="PCM_16")
    assert chat(gateway, "flexible", "audio", output.getvalue(), name="clip.wav").status_code == 200
    gemini.clear()
    response = chat(gateway, "flexible", "audio", media.mp3(6 * media.MB, seed=5), name="long.mp3")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible", response.headers.get("x-gateway-escalated")
    assert gemini.upload_count == 1
