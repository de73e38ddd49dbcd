"""Real text that holds no personal value, for false alarms: the Python standard library's own source, the
Debian Reference in six languages (real prose with product, place and company names; Debian's
`debian-reference-*` packages, skipped where not installed), this machine's package logs, and meeting
transcripts as Whisper writes them (title-cased runs of nouns: "Vendor Price", "Hiring Water")."""

from __future__ import annotations

import gzip
import random
import re
import sysconfig
from pathlib import Path

REFERENCE = Path("/usr/share/debian-reference")
LANGUAGES = ("en", "es", "de", "fr", "it", "pt")
# Whisper's habit: it capitalises runs of nouns it takes for headings or names. Hand-written, no names.
TRANSCRIPTS = [
    "Okay so the Vendor Price came in higher than expected and the Hiring Water cooler thing is still open.",
    "We looked at the Budget Review for the Third Quarter and the Sales Pipeline looks Healthy Enough.",
    "So the next item is the Office Move. Facilities says the New Building on the Main Campus is ready in March.",
    "The Customer Success team will run the Onboarding Workshop again, same Agenda as Last Time.",
    "Right, Marketing Spend is flat, Cloud Costs went up twelve percent, and the Data Platform migration slipped.",
    "Bueno, el Plan de Ventas para el Segundo Trimestre está casi cerrado, falta la Revisión de Precios.",
    "Lo del Almacén Central lo vemos la semana que viene, con el Informe de Inventario ya actualizado.",
    "Also, das Projekt Neue Website ist im Zeitplan, nur die Übersetzung für den Französischen Markt fehlt noch.",
    "Alors, la Réunion Budget est reportée, et le Comité de Direction veut voir les Chiffres de Mars.",
    "Allora, il Piano Marketing è pronto, manca solo la Revisione dei Costi con l'Ufficio Acquisti.",
    "Let's park the Grace Period question and come back to the Hope Street depot once Legal has looked at it.",
    "Action Items: Update the Price List, Share the Deck, Book the Room for the Quarterly Business Review.",
    "The Will Price thing is about whether we will price the Premium Tier per seat or per workspace.",
    "So May Day is a holiday there, which means the Rollout moves to the Second Week of May.",
    "Sorry, can you hear me? Yeah. Okay. So the Quality Assurance report shows Fewer Defects this Sprint.",
    "El Grupo de Trabajo de Seguridad propone revisar las Contraseñas de Servicio cada noventa días.",
]


def stdlib_source(chunks: int, lines: int = 15, seed: int = 7) -> list[tuple[str, str]]:
    """`chunks` pieces of `lines` lines of the standard library's Python files, picked with a fixed seed."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(path for path in root.glob("*.py")) + sorted(root.glob("[a-z]*/*.py"))
    pick = random.Random(seed)
    out = []
    while len(out) < chunks and files:
        path = pick.choice(files)
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if len(text) > lines:
            start = pick.randrange(0, len(text) - lines)
            out.append(("source code", "\n".join(text[start:start + lines])))
    return out


def reference_prose(per_language: int, seed: int = 7) -> list[tuple[str, str]]:
    """Paragraphs of the Debian Reference (where installed), `per_language` of each language."""
    pick = random.Random(seed)
    out = []
    for language in LANGUAGES:
        path = REFERENCE / f"debian-reference.{language}.txt.gz"
        if not path.exists():
            continue
        text = gzip.open(path, "rt", encoding="utf-8", errors="replace").read()
        paragraphs = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text)]
        prose = [block for block in paragraphs if len(block) > 200 and block.count(" ") > 30 and "@" not in block]
        out += [(f"prose {language}", block) for block in pick.sample(prose, min(per_language, len(prose)))]
    return out


def package_logs(count: int) -> list[tuple[str, str]]:
    """Blocks of 10 lines of this machine's dpkg and apt logs (where readable)."""
    out = []
    for path in (Path("/var/log/dpkg.log"), Path("/var/log/apt/history.log")):
        if path.exists():
            lines = path.read_text(errors="replace").splitlines()
            out += [("logs", "\n".join(lines[start:start + 10])) for start in range(0, len(lines) - 10, 10)]
    return out[:count]


def transcripts() -> list[tuple[str, str]]:
    return [("transcripts", text) for text in TRANSCRIPTS]


def corpora(per_corpus: int = 200) -> list[tuple[str, str]]:
    """(corpus, text) from every corpus available here."""
    return (stdlib_source(per_corpus) + reference_prose(per_corpus // 4) + package_logs(per_corpus)
            + transcripts())
