"""Real media files of chosen sizes, made locally (Pillow, soundfile) for attachment tests."""

from __future__ import annotations

import base64
import io

import numpy as np
import soundfile
from PIL import Image, ImageDraw, ImageFont

MB = 1024 * 1024


def png(width: int = 64, height: int = 48, color: tuple = (200, 30, 30)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), color).save(output, format="PNG")
    return output.getvalue()


def noisy_jpeg(min_bytes: int, seed: int = 0) -> bytes:
    """A JPEG of random noise at least `min_bytes` long (noise does not compress)."""
    side = 512
    while True:
        pixels = (np.random.default_rng(seed).random((side, side, 3)) * 255).astype("uint8")
        output = io.BytesIO()
        Image.fromarray(pixels).save(output, format="JPEG", quality=95)
        if output.tell() >= min_bytes:
            return output.getvalue()
        side = int(side * 1.3)


def noisy_png(side: int, seed: int = 0) -> bytes:
    """A PNG of random noise: about side * side * 3 bytes, since noise does not compress."""
    pixels = (np.random.default_rng(seed).random((side, side, 3)) * 255).astype("uint8")
    output = io.BytesIO()
    Image.fromarray(pixels).save(output, format="PNG", compress_level=1)
    return output.getvalue()


def text_image(text: str, size: tuple[int, int] = (900, 120)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((10, 40), text, fill="black", font=ImageFont.load_default(size=30))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def pdf(pages: int = 2, text: str = "", text_page: int = 0) -> bytes:
    """An image-only PDF (no text layer): any text on it (on page `text_page`) can only be read by OCR."""
    images = [Image.new("RGB", (300, 400), (255, 255, 255 - 20 * (page % 10))) for page in range(pages)]
    if text:
        images[text_page] = Image.open(io.BytesIO(text_image(text, (1000, 300)))).convert("RGB")
    output = io.BytesIO()
    images[0].save(output, format="PDF", save_all=True, append_images=images[1:])
    return output.getvalue()


def pdf_document(pages: list[tuple[str, str | bytes]], size: tuple[float, float] = (612, 792)) -> bytes:
    """A PDF written by hand: each page is ("text", words in its text layer) or ("image", JPEG bytes drawn
    over the page), on pages of `size` points."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids = []
    pages_id = len(pages) * 3 + 2  # object numbers are fixed below: font, then 3 per page, then the tree
    for kind, value in pages:
        if kind == "text":
            escaped = str(value).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            stream = f"BT /F1 18 Tf 40 {size[1] - 80} Td ({escaped}) Tj ET".encode()
            resources = f"<< /Font << /F1 {font} 0 R >> >>".encode()
            extra = add(b"<< >>")
        else:
            data = bytes(value)
            width, height = Image.open(io.BytesIO(data)).size
            extra = add(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB "
                        f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(data)} >>\nstream\n".encode()
                        + data + b"\nendstream")
            shown = (size[0] - 80, (size[0] - 80) * height / width)  # its own aspect ratio, near the top
            stream = f"q {shown[0]} 0 0 {shown[1]} 40 {size[1] - 80 - shown[1]} cm /Im1 Do Q".encode()
            resources = f"<< /XObject << /Im1 {extra} 0 R >> >>".encode()
        content = add(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
        page_ids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {size[0]} {size[1]}] "
                            f"/Contents {content} 0 R /Resources ".encode() + resources + b" >>"))
    kids = " ".join(f"{page} 0 R" for page in page_ids)
    assert add(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()) == pages_id
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = output.tell()
    output.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    output.write(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    output.write(f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return output.getvalue()


def jpeg_of(png_bytes: bytes) -> bytes:
    output = io.BytesIO()
    Image.open(io.BytesIO(png_bytes)).convert("RGB").save(output, format="JPEG", quality=95)
    return output.getvalue()


def page_bomb_pdf(side_points: float = 14400) -> bytes:
    """A PDF of a few hundred bytes whose one page is `side_points` square (200 inches at 14400)."""
    return pdf_document([("text", "A very large page.")], size=(side_points, side_points))


def wav(seconds: float = 0.5, rate: int = 16000, channels: int = 1, fmt: str = "WAV") -> bytes:
    """A 440 Hz tone in any container soundfile writes (WAV, FLAC, OGG, MP3)."""
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype("float32")
    output = io.BytesIO()
    soundfile.write(output, np.stack([tone] * channels, axis=1), rate, format=fmt)
    return output.getvalue()


def mp3(min_bytes: int, seed: int = 1) -> bytes:
    """A real MP3: a short encoded clip repeated (MPEG frames concatenate) to reach `min_bytes`."""
    rate = 44100
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, (rate * 5, 2)).astype("float32")
    output = io.BytesIO()
    soundfile.write(output, noise, rate, format="MP3")
    clip = output.getvalue()
    return clip * max(1, -(-min_bytes // len(clip)))


def mp4(min_bytes: int, seed: int = 2) -> bytes:
    """A real MP4 (MPEG-4 video of noise frames, which do not compress) of at least `min_bytes`: the gateway
    decodes video locally (strict handling, the flexible scan), so a stand-in of random bytes no longer passes."""
    import av

    rng = np.random.default_rng(seed)
    output = io.BytesIO()
    with av.open(output, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt, stream.bit_rate = 320, 240, "yuv420p", 40_000_000
        while output.tell() < min_bytes or not stream.frames:
            pixels = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return output.getvalue()


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def encoded(pcm: np.ndarray, rate: int, kind: str) -> bytes:
    """Mono float32 `pcm` encoded with PyAV as a real user's recorder would: mp3 (libmp3lame, 32 kbps,
    22.05 kHz), m4a (AAC), ogg (Opus, 48 kHz) or wav (16-bit PCM)."""
    import av

    codec, form, out_rate = {"mp3": ("libmp3lame", "mp3", 22050), "m4a": ("aac", "ipod", 22050),
                             "ogg": ("libopus", "ogg", 48000), "wav": ("pcm_s16le", "wav", rate)}[kind]
    output = io.BytesIO()
    with av.open(output, mode="w", format=form) as container:
        stream = container.add_stream(codec, rate=out_rate)
        stream.layout = "mono"
        if kind != "wav":
            stream.bit_rate = 32000
        for start in range(0, pcm.size, rate):
            frame = av.AudioFrame.from_ndarray(pcm[start:start + rate].reshape(1, -1).astype("float32"),
                                               format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return output.getvalue()


# -- issue 40: what OCR cannot read, and clean images that must not look so --------------------------------

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PROSE = ("The committee met on Tuesday to review the budget for the spring festival. Volunteers set up the "
         "stalls at eight, and the music starts at noon. Please bring your own cups: the council asked us to "
         "cut plastic waste by half this year. Minutes were approved without changes. Quarterly revenue grew "
         "12% to 4.3 million, driven by subscriptions (up 18%) and services; headcount is 41.").split()


def font(size: int, name: str = "") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A system font by file name (DejaVuSans.ttf...), or Pillow's own; OSError when `name` is not installed."""
    return ImageFont.truetype(name, size) if name else ImageFont.load_default(size=size)


def _png(image: Image.Image, jpeg: bool = False) -> bytes:
    output = io.BytesIO()
    image.save(output, format="JPEG" if jpeg else "PNG", **({"quality": 85} if jpeg else {}))
    return output.getvalue()


def digits_in_script(label: str, digits: str, script: dict = ARABIC_INDIC, size: int = 40,
                     name: str = "DejaVuSans.ttf") -> bytes:
    """A PNG of `label` followed by `digits` written in another script's digits (Arabic-Indic by default),
    which RapidOCR has no characters for; OSError when no installed font draws them."""
    image = Image.new("RGB", (1400, 200), "white")
    ImageDraw.Draw(image).text((30, 60), label + digits.translate(script), fill="black", font=font(size, name))
    return _png(image)


def _lines(words: list[str], width: int) -> list[str]:
    lines, line = [], ""
    for word in words:
        line = f"{line} {word}".strip()
        if len(line) > width:
            lines.append(line)
            line = ""
    return lines + [line] if line else lines


def document_page(seed: int = 0, text_px: int = 16, name: str = "", jpeg: bool = False) -> bytes:
    """A page of print (title, paragraphs of long lines, a small table), 1240x1754 (A4 at 150 dpi)."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(image)
    draw.text((80, 60), f"Annual report, section {seed + 1}", fill="black", font=font(text_px + 12, name))
    y = 60 + text_px * 3
    for line in _lines(list(rng.permutation(PROSE * 4)), int(1600 / text_px)):
        draw.text((80, y), line, fill=(20, 20, 20), font=font(text_px, name))
        y += int(text_px * 1.5)
    for row, cells in enumerate([("Region", "Q1", "Q2"), ("North", "1,204", "1,310"), ("South", "987", "1,022")]):
        for column, cell in enumerate(cells):
            draw.text((80 + column * 220, y + 40 + row * (text_px + 12)), cell, fill="black", font=font(text_px, name))
    return _png(image, jpeg)


def ui_screenshot(seed: int = 0, dark: bool = False, name: str = "") -> bytes:
    """A mail client's window, 1440x900: a title bar, a folder list with round icons, twelve messages, buttons."""
    rng = np.random.default_rng(seed)
    ground, ink = ((30, 30, 35), (230, 230, 230)) if dark else ((245, 246, 248), (25, 25, 25))
    image = Image.new("RGB", (1440, 900), ground)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1440, 48), fill=(50, 90, 160))
    draw.text((20, 12), "Inbox - Mail", fill="white", font=font(20, name))
    for index, folder in enumerate(["Inbox", "Starred", "Sent", "Drafts", "Spam", "Trash", "Settings"]):
        draw.ellipse((20, 80 + index * 44, 40, 100 + index * 44), fill=(120, 160, 220))
        draw.text((52, 78 + index * 44), folder, fill=ink, font=font(17, name))
    for index in range(12):
        top = 70 + index * 62
        draw.rectangle((220, top, 1420, top + 56), outline=(70, 70, 70) if dark else (200, 200, 200))
        sender = ["Alice Brown", "Team updates", "Bob", "GitHub", "Calendar", "Newsletter"][index % 6]
        draw.text((240, top + 6), sender, fill=ink, font=font(16, name))
        draw.text((240, top + 30), " ".join(rng.choice(PROSE, 9)), fill=ink, font=font(14, name))
        draw.text((1330, top + 6), f"{index % 12 + 1}:{index * 13 % 60:02d} PM", fill=ink, font=font(14, name))
    for index, label in enumerate(["Reply", "Forward", "Archive", "Delete"]):
        draw.rounded_rectangle((240 + index * 130, 850, 350 + index * 130, 885), 8, fill=(60, 120, 200))
        draw.text((255 + index * 130, 857), label, fill="white", font=font(16, name))
    return _png(image)


def photo_with_text(seed: int = 0, sign: str = "CAFE CENTRAL") -> bytes:
    """A photo-like JPEG, 1600x1067: a noisy colour gradient, blurred shapes, a sign and a white caption."""
    from PIL import ImageFilter

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:1067, 0:1600]
    pixels = np.stack([x / 1600 * 180 + 40, y / 1067 * 120 + 60, (x + y) / 2667 * 200], -1)
    image = Image.fromarray(np.clip(pixels + rng.normal(0, 12, pixels.shape), 0, 255).astype("uint8"))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        cx, cy, radius = int(rng.integers(0, 1600)), int(rng.integers(0, 1067)), int(rng.integers(40, 200))
        colour = tuple(int(value) for value in rng.integers(0, 255, 3))
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
    draw.rectangle((400, 300, 1200, 520), fill=(240, 240, 230))
    draw.text((440, 330), sign, fill=(150, 20, 20), font=font(80))
    draw.text((60, 1007), "Photo: Barcelona, summer 2023", fill="white", font=font(28))
    return _png(image.filter(ImageFilter.GaussianBlur(0.5 + seed % 2 * 0.7)), jpeg=True)


def vector_text_pdf(layer_lines: list[str], drawn: str, drawn_points: float = 11) -> bytes:
    """A one-page PDF whose text layer holds `layer_lines` (Helvetica 10 pt, 14 pt apart, from the top) and
    which shows `drawn` below them as filled shapes only, no text: the runs of a high-resolution rendering,
    each a rectangle path, `drawn_points` tall. Only OCR of the rendered page can read it."""
    glyphs = font(96)
    left, top, right, bottom = glyphs.getbbox(drawn)
    bitmap = Image.new("1", (right + 4, bottom + 4), 0)
    ImageDraw.Draw(bitmap).text((2, 2), drawn, fill=1, font=glyphs)
    pixels = np.asarray(bitmap)
    unit, base = drawn_points / pixels.shape[0], 780 - 14 * len(layer_lines) - 40 - drawn_points
    shapes = []
    for row in range(pixels.shape[0]):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], pixels[row].astype(np.int8), [0]])))
        bottom_y = base + (pixels.shape[0] - row - 1) * unit
        shapes += [f"{40 + start * unit:.2f} {bottom_y:.2f} {(end - start) * unit:.2f} {unit:.2f} re"
                   for start, end in zip(edges[::2], edges[1::2], strict=True)]
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in layer_lines]
    content = ("BT /F1 10 Tf 14 TL 40 780 Td " + " ".join(f"({line}) '" for line in escaped) + " ET 0 g "
               + " ".join(shapes) + " f").encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = output.tell()
    output.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    output.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    output.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return output.getvalue()
