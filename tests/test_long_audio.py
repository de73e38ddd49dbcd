"""Long recordings are transcribed a window at a time from the spooled upload (plugins/attachments/
audio_windows.py): the windows' transcripts are stitched into one, and flexible audio that cannot be
scanned within its budget is handled as strict, unscanned, without being transcribed whole first."""

from __future__ import annotations

import io

import numpy as np
import soundfile

from tests.helpers import chat_bodies
from tests.test_audio import chat, last_user_text, speech

OPENING = "The quarterly review starts with the sales figures for the northern region."
MIDDLE = ["After that we discuss the new office, the budget and the hiring plan for spring.",
          "Please send your comments on the draft before the end of the week.",
          "The delivery trucks need new tyres, and two of them are due for inspection."]
CLOSING = "Finally, thank you all for the extra work during the busy holiday season."


def recording(seconds: float) -> bytes:
    """OPENING, the MIDDLE sentences looped (a second of silence after each) and CLOSING: `seconds` long."""
    clips = {text: soundfile.read(io.BytesIO(speech(text)), dtype="int16") for text in [OPENING, *MIDDLE, CLOSING]}
    rate = clips[OPENING][1]
    pause = np.zeros(rate, dtype="int16")
    pieces, total, index = [clips[OPENING][0], pause], clips[OPENING][0].size + rate, 0
    budget = int(seconds * rate) - clips[CLOSING][0].size
    while total < budget:
        clip = clips[MIDDLE[index % len(MIDDLE)]][0]
        pieces += [clip, pause]
        total, index = total + clip.size + rate, index + 1
    output = io.BytesIO()
    soundfile.write(output, np.concatenate([*pieces, clips[CLOSING][0]]), rate, format="WAV", subtype="PCM_16")
    return output.getvalue()


def test_long_strict_audio_is_transcribed_window_by_window_into_one_transcript(gateway, ollama, gemini):
    audio = recording(150)  # six windows of 30 s, overlapping by 4 s
    response = chat(gateway, "strict", "audio", audio, timestamps=True)
    assert response.status_code == 200, response.text
    text = last_user_text(ollama)
    assert "quarterly" in text.lower() and "holiday" in text.lower()  # first and last window
    assert "(2:3" in text or "(2:2" in text  # the label carries the whole length, not one window's
    times = [line.split("]")[0].strip("[") for line in text.splitlines() if line.startswith("[")]
    starts = [sum(int(part) * 60 ** n for n, part in enumerate(reversed(clock.split("-")[0].split(":"))))
              for clock in times]
    assert starts == sorted(starts) and max(starts) > 120  # one timeline across the windows, in order
    assert text.lower().count("holiday") == 1  # the overlap is not transcribed twice
    assert gemini.requests == []


def test_flexible_audio_too_long_to_scan_in_time_is_strict_and_unscanned(start_gateway, ollama, gemini):
    hurried = start_gateway({"gateway": {"escalation": {"scan_timeout_s": 2},  # budget: 2 s, whatever the length
                                         "transcription": {"load": "background", "scan_min_speed": 1000,
                                                           "scan_max_s": 2}}})
    response = chat(hurried, "flexible", "audio", recording(240))
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict"
    assert response.headers["x-gateway-escalated"] == "unscanned-content"
    assert "quarterly" in last_user_text(ollama).lower() and len(chat_bodies(ollama)) == 1
    assert [record for record in gemini.requests if record.method != "GET"] == []  # nothing uploaded
