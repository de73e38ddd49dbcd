"""Issue 24, attachments: every file a flexible request carries is recognised (typed, made into exactly what
is sent, scanned) or refused with a 400 naming its field. Each test hides a sensitive value in one shape
and looks at everything the Gemini emulator received: JSON bodies, inline data base64-decoded, File API
uploads."""

from __future__ import annotations

import asyncio
import base64
import http.server
import io
import json
import socket
import threading
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
import pypdfium2
import pytest
from PIL import Image, PngImagePlugin

from plugins.attachments.remote import _pinned, fetch_url
from plugins.platform.errors import GatewayError
from tests import media
from tests.conftest import backend_env
from tests.gateway_process import Gateway, deep_merge
from tests.helpers import chat_bodies, gemini_calls, gemini_parts

IBAN = "ES91 2100 0418 4502 0005 1332"
EMAIL = "ana.garcia@example.org"
SECRETS = [IBAN.encode(), IBAN.replace(" ", "").encode(), EMAIL.encode()]


def received_by_gemini(gemini) -> list[bytes]:
    """Every body Gemini received, each inline data part decoded, and every uploaded file's bytes."""
    blobs = [json.dumps(record.body).encode() for record in gemini.requests if record.body is not None]
    for part in gemini_parts(gemini):
        if "inlineData" in part:
            blobs.append(base64.b64decode(part["inlineData"]["data"]))
    blobs += [Path(stored.path).read_bytes() for stored in gemini.files.values() if Path(stored.path).exists()]
    return blobs


def leaked(gemini) -> list[bytes]:
    return [secret for blob in received_by_gemini(gemini) for secret in SECRETS if secret in blob]


def inline_media(gemini) -> list[tuple[str, bytes]]:
    return [(part["inlineData"]["mimeType"], base64.b64decode(part["inlineData"]["data"]))
            for part in gemini_parts(gemini) if "inlineData" in part]


def chat(gateway, content, role: str = "user", task: str = "vision", extra_messages: list | None = None):
    messages = [*(extra_messages or []), {"role": role, "content": content}]
    return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=180,
                      json={"model": "auto", "task": task, "privacy_mode": "flexible", "messages": messages})


def responses(gateway, items: list):
    return httpx.post(gateway.url("/v1/responses"), headers=gateway.auth, timeout=180,
                      json={"model": "auto", "privacy_mode": "flexible", "input": items})


def image_part(mime: str, data: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": media.data_uri(mime, data)}}


def iban_png() -> bytes:
    return media.text_image(f"IBAN {IBAN}", (1100, 160))


def assert_escalated(response, gemini, ollama, reason: str = "sensitive-data") -> None:
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict"
    assert response.headers["x-gateway-escalated"] == reason
    assert gemini_calls(gemini) == [] and leaked(gemini) == []
    assert chat_bodies(ollama)


def assert_refused(response, gemini, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert field in response.json()["error"]["message"]
    assert gemini.requests == []


# -- item 4: every shape that carries a file is read, or refused ----------------------------------------------

@pytest.mark.parametrize("shape", ["plain string", "leading space", "uppercase DATA", "file_id data URL",
                                   "file_data data URL"])
def test_image_shapes_are_scanned(gateway, ollama, gemini, shape):
    uri = media.data_uri("image/png", iban_png())
    part = {"plain string": {"type": "image_url", "image_url": uri},
            "leading space": {"type": "image_url", "image_url": {"url": "  " + uri}},
            "uppercase DATA": {"type": "image_url", "image_url": {"url": "DATA" + uri[4:]}},
            "file_id data URL": {"type": "file", "file": {"file_id": uri}},
            "file_data data URL": {"type": "file", "file": {"file_data": uri}}}[shape]
    assert_escalated(chat(gateway, [{"type": "text", "text": "read it"}, part]), gemini, ollama)


@pytest.mark.parametrize("field", ["file_id", "file_data"])
def test_a_text_file_is_refused(gateway, ollama, gemini, field):
    uri = "data:text/plain;base64," + base64.b64encode(f"pay to {IBAN}".encode()).decode()
    response = chat(gateway, [{"type": "text", "text": "read it"}, {"type": "file", "file": {field: uri}}])
    assert_refused(response, gemini, 415, "Unsupported media type")


@pytest.mark.parametrize(("part", "field"), [
    ({"type": "image_url", "image_url": {"url": "ftp://files.example/iban.png"}}, "content[1].image_url"),
    ({"type": "file", "file": {"file_id": "my-invoice-" + IBAN}}, "content[1].file.file_id"),
    ({"type": "file", "file": {"file_id": "files/abc", "file_data": "aGk="}}, "exactly one of file_data or file_id"),
    ({"type": "image", "image": {"url": "data:image/png;base64,AAAA"}}, "content[1].image"),  # the allowlist
])
def test_unreadable_file_shapes_are_refused(gateway, ollama, gemini, part, field):
    assert_refused(chat(gateway, [{"type": "text", "text": "read it"}, part]), gemini, 400, field)


def test_an_image_in_a_tool_result_is_scanned(gateway, ollama, gemini):
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "scan", "arguments": "{}"}}]}
    image = {"type": "image_url", "image_url": {"url": media.data_uri("image/png", iban_png())}}
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=180, json={
        "model": "auto", "task": "vision", "privacy_mode": "flexible",
        "messages": [{"role": "user", "content": "scan my card"}, call,
                     {"role": "tool", "tool_call_id": "call_1", "content": [image]}]})
    assert response.status_code in (200, 422), response.text  # answered locally, or refused: never sent out
    assert gemini_calls(gemini) == [] and leaked(gemini) == []


@pytest.mark.parametrize("shape", ["file_url data URL", "file_id data URL", "function_call_output image"])
def test_responses_shapes_are_scanned(gateway, ollama, gemini, shape):
    uri = media.data_uri("image/png", iban_png())
    if shape == "function_call_output image":
        items = [{"role": "user", "content": "scan it"},
                 {"type": "function_call", "call_id": "c1", "name": "scan", "arguments": "{}"},
                 {"type": "function_call_output", "call_id": "c1",
                  "output": [{"type": "input_image", "image_url": uri}]}]
    else:
        name = shape.split()[0]
        items = [{"role": "user", "content": [{"type": "input_text", "text": "read it"},
                                              {"type": "input_file", name: uri}]}]
    response = responses(gateway, items)
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict"
    assert gemini_calls(gemini) == [] and leaked(gemini) == []


def test_responses_image_with_file_id_and_url_is_refused(gateway, ollama, gemini):
    part = {"type": "input_image", "file_id": "files/abc", "image_url": media.data_uri("image/png", iban_png())}
    response = responses(gateway, [{"role": "user", "content": [part]}])
    assert_refused(response, gemini, 400, "input_image.file_id")


def test_responses_sends_the_scanned_image_not_the_original(gateway, ollama, gemini):
    original = _png_with_text_chunk(media.text_image("The quick brown fox"), f"Owner IBAN {IBAN}")
    items = [{"role": "user", "content": [{"type": "input_text", "text": "what does it say?"},
                                          {"type": "input_image", "image_url": media.data_uri("image/png", original)}]}]
    response = responses(gateway, items)
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert [mime for mime, _ in inline_media(gemini)] == ["image/png"]
    assert leaked(gemini) == [] and inline_media(gemini)[0][1] != original


# -- http(s) URLs: fetched by the gateway, bounded, then handled like uploads ----------------------------------

class Files(http.server.BaseHTTPRequestHandler):
    served: dict[str, bytes] = {}
    requested: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.requested.append(self.path)
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        body = self.served.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def file_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Files.served = {"/iban.png": iban_png(), "/clean.jpg": _jpeg_with_exif(f"IBAN {IBAN}"),
                    "/note.txt": f"pay {IBAN}".encode()}
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def fetching_gateway(ollama, gemini, tiny_models):
    overrides = {"gateway": {"attachments": {"fetch": {"private_hosts": True}}, "transcription": {"load": "lazy"}}}
    running = Gateway(config_overrides=deep_merge(tiny_models, overrides), env=backend_env(ollama, gemini)).start()
    yield running
    running.close()


def test_a_private_url_is_not_fetched(gateway, ollama, gemini, file_server):
    part = {"type": "image_url", "image_url": {"url": file_server + "/iban.png"}}
    assert_refused(chat(gateway, [part]), gemini, 400, "private address")


def test_a_fetched_image_is_scanned(fetching_gateway, ollama, gemini, file_server):
    part = {"type": "image_url", "image_url": {"url": file_server + "/iban.png"}}
    assert_escalated(chat(fetching_gateway, [{"type": "text", "text": "read"}, part]), gemini, ollama)


def test_a_fetched_image_is_sent_inline_without_its_metadata(fetching_gateway, ollama, gemini, file_server):
    part = {"type": "image_url", "image_url": {"url": " HTTP" + file_server[4:] + "/clean.jpg"}}
    response = chat(fetching_gateway, [{"type": "text", "text": "describe"}, part])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert [mime for mime, _ in inline_media(gemini)] == ["image/jpeg"]
    assert not any("fileData" in part for part in gemini_parts(gemini))  # Gemini never fetches it itself
    assert leaked(gemini) == []


def test_a_url_is_fetched_from_the_address_that_was_checked(file_server, monkeypatch):
    """DNS rebinding: a name that is public when the gateway checks it and loopback when it connects must
    never reach the loopback server. The resolver is the only thing simulated (the operating system's)."""
    port = int(file_server.rsplit(":", 1)[1])
    real, answers = socket.getaddrinfo, []

    def rebinding(host, *args, **kwargs):
        if host not in ("rebind.test", b"rebind.test"):  # anyio asks with the IDNA-encoded bytes
            return real(host, *args, **kwargs)
        answers.append("93.184.216.34" if not answers else "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[-1], port))]

    async def attempt():  # the public address may or may not answer here: only where the request went matters
        try:
            body, _ = await fetch_url(f"http://rebind.test:{port}/note.txt", "url")
            body.close()
        except GatewayError:  # e.g. gateway.attachments.fetch.timeout_s
            pass

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    Files.requested.clear()
    asyncio.run(attempt())
    assert answers == ["93.184.216.34"] and Files.requested == []  # resolved once, never connected to loopback


def test_the_checked_address_keeps_the_urls_host_name_for_host_and_tls():
    assert _pinned("https://user@files.example:8443/a.png?x=1", "2001:db8::1") == (
        "https://[2001:db8::1]:8443/a.png?x=1", {"Host": "files.example:8443"}, {"sni_hostname": "files.example"})
    assert _pinned("http://files.example/a.png", None) == ("http://files.example/a.png", {}, {})


@pytest.mark.parametrize(("path", "status", "message"), [("/loop", 400, "redirects"), ("/missing", 400, "HTTP 404"),
                                                         ("/note.txt", 415, "Unsupported media type")])
def test_unfetchable_urls_are_refused(fetching_gateway, ollama, gemini, file_server, path, status, message):
    part = {"type": "file", "file": {"file_id": file_server + path}}
    assert_refused(chat(fetching_gateway, [part]), gemini, status, message)


# -- item 5: images are re-encoded; what is sent is what OCR read ---------------------------------------------

def _png_with_text_chunk(png: bytes, text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{text}</x:xmpmeta>")
    output = io.BytesIO()
    Image.open(io.BytesIO(png)).save(output, format="PNG", pnginfo=info)
    return output.getvalue()


def _jpeg_with_exif(text: str) -> bytes:
    image = Image.open(io.BytesIO(media.text_image("The quick brown fox"))).convert("RGB")
    exif = Image.Exif()
    exif[0x010E] = text  # ImageDescription
    exif[0x013B] = EMAIL  # Artist
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif, comment=text.encode())
    return output.getvalue()


@pytest.mark.parametrize("kind", ["png text chunks", "jpeg exif"])
def test_image_metadata_never_leaves(gateway, ollama, gemini, kind):
    data = _png_with_text_chunk(media.text_image("The quick brown fox"), f"IBAN {IBAN} {EMAIL}") \
        if kind == "png text chunks" else _jpeg_with_exif(f"IBAN {IBAN}")
    mime = "image/png" if kind == "png text chunks" else "image/jpeg"
    response = chat(gateway, [{"type": "text", "text": "describe"},
                              {"type": "image_url", "image_url": {"url": media.data_uri(mime, data)}}])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert len(inline_media(gemini)) == 1 and leaked(gemini) == []


def test_only_the_first_frame_of_an_animation_leaves(gateway, ollama, gemini):
    frames = [Image.open(io.BytesIO(media.text_image("The quick brown fox"))).convert("RGB"),
              Image.open(io.BytesIO(iban_png())).convert("RGB").resize((900, 120))]
    output = io.BytesIO()
    frames[0].save(output, format="GIF", save_all=True, append_images=frames[1:], duration=500, loop=0)
    response = chat(gateway, [{"type": "text", "text": "describe"},
                              image_part("image/gif", output.getvalue())])
    assert response.status_code == 200, response.text
    [(mime, sent)] = inline_media(gemini)
    assert mime == "image/png" and getattr(Image.open(io.BytesIO(sent)), "n_frames", 1) == 1


def test_text_hidden_under_transparency_is_not_sent(gateway, ollama, gemini):
    rgb = Image.open(io.BytesIO(iban_png())).convert("RGB")
    hidden = rgb.copy()
    hidden.putalpha(0)  # the IBAN is in the colour channels, fully transparent
    output = io.BytesIO()
    hidden.save(output, format="PNG")
    response = chat(gateway, [{"type": "text", "text": "describe"},
                              image_part("image/png", output.getvalue())])
    assert response.status_code == 200, response.text
    [(_, sent)] = inline_media(gemini)
    pixels = np.asarray(Image.open(io.BytesIO(sent)).convert("L"))
    assert Image.open(io.BytesIO(sent)).mode in ("RGB", "L") and pixels.min() == 255  # a white page, as OCR saw


def test_sixteen_bit_text_is_read(gateway, ollama, gemini):
    grey = np.asarray(Image.open(io.BytesIO(iban_png())).convert("L"), dtype=np.uint16) * 257
    output = io.BytesIO()
    Image.fromarray(grey).save(output, format="PNG")
    response = chat(gateway, [image_part("image/png", output.getvalue())])
    assert_escalated(response, gemini, ollama)


def test_mirrored_text_is_handled_as_unscanned(gateway, ollama, gemini):
    mirrored = Image.open(io.BytesIO(iban_png())).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    output = io.BytesIO()
    mirrored.save(output, format="PNG")
    response = chat(gateway, [image_part("image/png", output.getvalue())])
    assert_escalated(response, gemini, ollama, reason="unscanned-content")


def test_a_qr_code_is_decoded_and_scanned(gateway, ollama, gemini):
    code = cv2.QRCodeEncoder.create().encode(f"IBAN {IBAN}")
    image = Image.fromarray(code).resize((code.shape[1] * 8, code.shape[0] * 8), Image.Resampling.NEAREST)
    framed = Image.new("L", (image.width + 80, image.height + 80), 255)
    framed.paste(image, (40, 40))
    output = io.BytesIO()
    framed.save(output, format="PNG")
    response = chat(gateway, [image_part("image/png", output.getvalue())])
    assert_escalated(response, gemini, ollama)



def test_digits_in_a_script_ocr_cannot_read_are_unscanned(gateway, ollama, gemini):
    """Issue 40: an IBAN in Arabic-Indic digits, which RapidOCR has no characters for (it reads them as
    nothing, as spaces or as letters read unsurely) and Gemini reads: handled as strict, not as clean."""
    try:
        data = media.digits_in_script("IBAN ES", IBAN[2:])
    except OSError:
        pytest.skip("no installed font draws Arabic-Indic digits (DejaVu Sans)")
    response = chat(gateway, [image_part("image/png", data)])
    assert_escalated(response, gemini, ollama, reason="unscanned-content")


def test_a_page_of_small_print_stays_flexible(gateway, ollama, gemini):
    """Issue 40: long lines of 14 px print read whole (RapidOCR's angle classifier turned some upside down,
    which then read as nothing and made the page unscanned)."""
    response = chat(gateway, [image_part("image/png", media.document_page(seed=0, text_px=14))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible", response.headers.get("x-gateway-escalated")
    assert gemini_calls(gemini)

# -- item 6: PDFs leave as page images of what was read -------------------------------------------------------

def _pdf_with_hidden_text() -> bytes:
    """A one-page PDF whose visible text is harmless, with the IBAN in its metadata, an annotation without an
    appearance, an outline entry and an embedded file (all uncompressed, so a leak shows in the bytes)."""
    page = b"BT /F1 18 Tf 40 700 Td (Minutes of the garden committee.) Tj ET"
    secret = f"IBAN {IBAN} {EMAIL}".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R /Names << /EmbeddedFiles << /Names [(a.txt) 8 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Annots [5 0 R] "
        b"/Resources << /Font << /F1 10 0 R >> >> >>",
        b"<< /Length " + str(len(page)).encode() + b" >>\nstream\n" + page + b"\nendstream",
        b"<< /Type /Annot /Subtype /Text /Rect [0 0 0 0] /Contents (" + secret + b") /F 2 >>",
        b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
        b"<< /Title (" + secret + b") /Parent 6 0 R /Dest [3 0 R /Fit] >>",
        b"<< /Type /Filespec /F (a.txt) /EF << /F 9 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length " + str(len(secret)).encode() + b" >>\nstream\n" + secret + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (" + secret + b") /Author (" + secret + b") >>",
    ]
    output = io.BytesIO()
    output.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = output.tell()
    output.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    output.write(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    output.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 11 0 R >>\nstartxref\n{xref}\n%%EOF\n"
                 .encode())
    return output.getvalue()


def test_pdf_hidden_objects_never_leave(gateway, ollama, gemini):
    data = _pdf_with_hidden_text()
    assert IBAN.encode() in data
    part = {"type": "file", "file": {"file_data": media.data_uri("application/pdf", data)}}
    response = chat(gateway, [{"type": "text", "text": "summarise"}, part], task="ocr")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    [(mime, sent)] = inline_media(gemini)
    assert mime == "application/pdf" and leaked(gemini) == []
    document = pypdfium2.PdfDocument(sent)
    assert len(document) == 1 and document[0].get_textpage().get_text_range().strip() == ""  # page images only


def test_an_invisible_text_layer_is_still_scanned(gateway, ollama, gemini):
    data = media.pdf_document([("text", "Minutes of the garden committee.")])
    data = data.replace(b"BT /F1 18 Tf", b"BT 3 Tr /F1 18 Tf").replace(b"(Minutes of the garden committee.)",
                                                                          f"(IBAN {IBAN}            )".encode())
    part = {"type": "file", "file": {"file_data": media.data_uri("application/pdf", data)}}
    assert_escalated(chat(gateway, [part], task="ocr"), gemini, ollama)


def test_a_lying_text_layer_does_not_hide_the_page(gateway, ollama, gemini):
    """The font's ToUnicode map turns every character into another: the text layer reads as gibberish while
    the page shows the IBAN. The page image is what is sent, and OCR reads it."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Lie def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <00> <FF> <0100> endbfrange "
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    data = media.pdf_document([("text", f"IBAN {IBAN}")])
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    data = data.replace(font, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 99 0 R >>")
    data = data.replace(b"xref", b"99 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\nxref" % (len(cmap), cmap))
    assert "ES91" not in pypdfium2.PdfDocument(data)[0].get_textpage().get_text_range()  # the layer lies
    part = {"type": "file", "file": {"file_data": media.data_uri("application/pdf", data)}}
    assert_escalated(chat(gateway, [part], task="ocr"), gemini, ollama)



def test_a_value_drawn_as_shapes_beside_a_text_layer_is_read(gateway, ollama, gemini):
    """Issue 40: a page with a text layer (twenty lines of minutes) and an IBAN drawn as filled paths, in
    no text layer: OCR of the rendered page reads it, so it never reaches Gemini."""
    minutes = ["Minutes of the garden committee, held on Tuesday in the library upstairs room; eleven present."] * 20
    data = media.vector_text_pdf(minutes, f"IBAN {IBAN}")
    assert "ES91" not in pypdfium2.PdfDocument(data)[0].get_textpage().get_text_range()  # shapes only
    part = {"type": "file", "file": {"file_data": media.data_uri("application/pdf", data)}}
    assert_escalated(chat(gateway, [part], task="ocr"), gemini, ollama)

def test_a_pdf_over_the_ocr_budget_is_strict(gateway, ollama, gemini):
    part = {"type": "file", "file": {"file_data": media.data_uri("application/pdf", media.pdf(11))}}
    assert_escalated(chat(gateway, [part], task="ocr"), gemini, ollama, reason="unscanned-content")


# -- item 7: video sampled by time; audio and video leave without container metadata --------------------------

def _clip(fmt: str, seconds: float = 0.5, iban_from: float | None = None, fps: int = 5) -> bytes:
    """A clip with an IBAN in its metadata tags; video frames show the IBAN from `iban_from` seconds."""
    output = io.BytesIO()
    page = Image.new("RGB", (640, 360), "white")
    page.paste(Image.open(io.BytesIO(iban_png())).convert("RGB").resize((640, 94)), (0, 130))
    text = np.asarray(page)
    with av.open(output, "w", format=fmt) as container:
        container.metadata.update({"title": f"IBAN {IBAN}", "comment": EMAIL})
        if fmt == "mp4":
            video = container.add_stream("mpeg4", rate=fps, options={"g": "1000"})  # one keyframe, at 0 s
            video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"
            for index in range(int(seconds * fps)):
                shown = iban_from is not None and index / fps >= iban_from
                pixels = text if shown else np.full((360, 640, 3), 255, np.uint8)
                for packet in video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                    container.mux(packet)
            for packet in video.encode():
                container.mux(packet)
        else:
            audio = container.add_stream("pcm_s16le", rate=16000)
            tone = (3000 * np.sin(np.arange(int(16000 * seconds)) / 8)).astype(np.int16)[None, :]
            frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            frame.sample_rate = 16000
            for packet in audio.encode(frame):
                container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)
    return output.getvalue()


def test_wav_metadata_never_leaves(gateway, ollama, gemini):
    data = _clip("wav")
    assert IBAN.encode() in data
    part = {"type": "input_audio", "input_audio": {"data": base64.b64encode(data).decode(), "format": "wav"}}
    response = chat(gateway, [{"type": "text", "text": "what is this sound?"}, part], task="chat")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert len(inline_media(gemini)) == 1 and leaked(gemini) == []


def assert_video_value_found(gateway, gemini, ollama, data: bytes) -> None:
    """The IBAN on screen in the mp4 `data` is found (explain names it: read, not merely unscanned) and the
    flexible request is escalated."""
    content = [{"type": "text", "text": "describe"},
               {"type": "file", "file": {"file_data": media.data_uri("video/mp4", data)}}]
    explained = httpx.post(gateway.url("/v1/route/explain"), headers=gateway.auth, timeout=180, json={
        "model": "auto", "task": "vision", "privacy_mode": "flexible",
        "messages": [{"role": "user", "content": content}]}).json()
    assert any("iban" in kind for kind in explained["sensitive"]), explained
    assert_escalated(chat(gateway, content, task="vision"), gemini, ollama)


def test_video_text_between_keyframes_is_found(gateway, ollama, gemini):
    # one keyframe at 0 s; the IBAN shows from 2.5 s on
    assert_video_value_found(gateway, gemini, ollama, _clip("mp4", seconds=5, iban_from=2.5))


def test_mp4_metadata_never_leaves(gateway, ollama, gemini):
    data = _clip("mp4", seconds=2)
    assert IBAN.encode() in data
    part = {"type": "file", "file": {"file_data": media.data_uri("video/mp4", data)}}
    response = chat(gateway, [{"type": "text", "text": "describe"}, part], task="vision")
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert len(inline_media(gemini)) == 1 and leaked(gemini) == []
