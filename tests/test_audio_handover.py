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

import soundfile

from tests.helpers import chat_bodies, gemini_calls, gemini_parts
from tests.media import encoded
from tests.test_audio import chat, last_user_text
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
