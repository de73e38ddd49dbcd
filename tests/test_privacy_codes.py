"""Issue 33, item 5: what an image says in a QR code, upside down, printed faint or wrapped beside a second
column is read like printed text. Real images made here (segno QR codes, Pillow text); the Gemini
emulator's recorded requests (inline images decoded, and their QR codes decoded again) hold nothing of the
value."""

from __future__ import annotations

import io

import httpx
import pytest
import segno
import zxingcpp
from PIL import Image, ImageDraw, ImageFont, ImageOps

from tests import media
from tests.helpers import chat_bodies, gemini_calls
from tests.test_privacy_attachments import IBAN, chat, image_part, inline_media, leaked

COMPACT = IBAN.replace(" ", "")
EPC = f"BCD\n002\n1\nSCT\nCAIXESBBXXX\nAna Garcia\n{COMPACT}\nEUR12.50\n\n\nInvoice 7"


def png(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.convert("RGB").save(output, format="PNG")
    return output.getvalue()


def qr(payload: str = EPC) -> Image.Image:
    output = io.BytesIO()
    segno.make(payload, error="m").save(output, kind="png", scale=6, border=4)
    return Image.open(io.BytesIO(output.getvalue())).convert("RGB")


def page(lines: list[tuple[tuple[int, int], str, str]], size=(1200, 420)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for where, text, fill in lines:
        draw.text(where, text, fill=fill, font=ImageFont.load_default(size=30))
    return image


def invoice_with_qr(printed: bool = True) -> Image.Image:
    """A payment slip: the EPC QR code on the left, the IBAN printed beside it (or a clean text)."""
    image = page([((380, 60), f"IBAN {IBAN}" if printed else "Thank you for your order", "black"),
                  ((380, 140), "Invoice 7, 12.50 EUR", "black")], size=(1400, 360))
    image.paste(qr(), (10, 10))
    return image


def decoded_payloads(gemini) -> list[str]:
    """Every QR code / barcode payload in every image Gemini received."""
    found = []
    for _, data in inline_media(gemini):
        image = Image.open(io.BytesIO(data))
        found += [code.text for code in zxingcpp.read_barcodes(image)]
        found += [code.text for code in zxingcpp.read_barcodes(ImageOps.equalize(image.convert("L")))]
    return found


def assert_nothing_left(response, gemini) -> None:
    assert response.status_code == 200, response.text
    assert leaked(gemini) == []
    assert not any(COMPACT in payload.replace(" ", "") for payload in decoded_payloads(gemini))


IMAGES = {
    "epc_qr": lambda: qr(),
    "inverted_qr": lambda: ImageOps.invert(qr()),
    "faint_qr": lambda: qr().point(lambda value: 255 if value > 128 else 242),
    "upside_down": lambda: page([((20, 60), "Please pay to", "black"),
                                 ((20, 120), f"IBAN {IBAN}", "black")]).rotate(180),
    "faint_text": lambda: page([((10, 50), f"IBAN {IBAN}", "#f2f2f2")], size=(1100, 160)),
    "fainter_text": lambda: page([((20, 60), "Invoice 7: thank you", "black"), ((20, 160), f"IBAN {IBAN}", "#f5f5f5")]),
    "two_columns": lambda: page([((20, 60), "Pay to: ES91 2100 0418", "black"), ((20, 110), "4502 0005 1332", "black"),
                                 ((620, 60), "Ship to: Calle Mayor 12, Lugo", "black"),
                                 ((620, 110), "Delivery: Tuesday morning, gate B", "black")]),
}


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_image_value_escalates(gateway, ollama, gemini, name):
    response = chat(gateway, [{"type": "text", "text": "What is this?"}, image_part("image/png", png(IMAGES[name]()))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict", name
    assert gemini_calls(gemini) == [] and chat_bodies(ollama)
    assert leaked(gemini) == []


def test_clean_qr_stays_flexible(gateway, ollama, gemini):
    """A QR code whose payload holds nothing sensitive is just a picture: sent as it is."""
    image = page([((380, 60), "Scan for the menu", "black")], size=(1000, 360))
    image.paste(qr("https://example.org/menu"), (10, 10))
    response = chat(gateway, [{"type": "text", "text": "What is this?"}, image_part("image/png", png(image))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert "https://example.org/menu" in decoded_payloads(gemini)


def chat_redact(gateway, content):
    return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=180, json={
        "model": "auto", "task": "vision", "privacy_mode": "flexible", "sensitive_data": "redact",
        "messages": [{"role": "user", "content": content}]})


@pytest.mark.parametrize("printed", [True, False], ids=["qr_and_print", "qr_only"])
def test_redact_blacks_out_the_payment_qr(gateway, ollama, gemini, printed):
    """Redact mode: the printed IBAN and the QR code carrying it are both blacked out, and the slip is sent;
    the code never reaches Gemini decodable."""
    response = chat_redact(gateway, [{"type": "text", "text": "Summarise this slip."},
                                     image_part("image/png", png(invoice_with_qr(printed)))])
    assert_nothing_left(response, gemini)
    assert response.headers["x-gateway-privacy"] == "flexible", response.headers.get("x-gateway-escalated")
    assert len(inline_media(gemini)) == 1
    assert decoded_payloads(gemini) == []


@pytest.mark.parametrize("name", ["faint_text", "two_columns", "inverted_qr"])
def test_redact_never_sends_the_value(gateway, ollama, gemini, name):
    response = chat_redact(gateway, [{"type": "text", "text": "What is this?"},
                                     image_part("image/png", png(IMAGES[name]()))])
    assert_nothing_left(response, gemini)


# -- item 6, video: a value on screen between two 1-fps samples -------------------------------------------------

def brief_clip(shown: tuple[float, float] = (1.2, 1.6), seconds: float = 3.0, fps: int = 10) -> bytes:
    """White frames, the IBAN on screen only from `shown[0]` to `shown[1]` s: between the 1-fps samples."""
    import av
    import numpy as np

    output = io.BytesIO()
    text = np.asarray(page([((20, 160), f"IBAN {IBAN}", "black")], size=(960, 360)).resize((640, 240)))
    blank = np.full((240, 640, 3), 255, np.uint8)
    with av.open(output, "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=fps, options={"g": "1000"})  # one keyframe, at 0 s
        video.width, video.height, video.pix_fmt = 640, 240, "yuv420p"
        for index in range(int(seconds * fps)):
            pixels = text if shown[0] <= index / fps < shown[1] else blank
            for packet in video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
    return output.getvalue()


def test_video_value_shown_between_samples_is_found(gateway, ollama, gemini):
    from tests.test_privacy_attachments import assert_video_value_found

    assert_video_value_found(gateway, gemini, ollama, brief_clip())


def test_still_video_stays_within_the_frame_budget(gateway, ollama, gemini):
    """Scene changes add frames only where the picture changes: a still clip is read and sent."""
    part = {"type": "file", "file": {"file_data": media.data_uri("video/mp4", brief_clip(shown=(9, 9)))}}
    response = chat(gateway, [{"type": "text", "text": "describe"}, part], task="vision")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
