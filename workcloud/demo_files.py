"""The demo tenant's files: a few small documents, made here and written to the file store
WORKCLOUD_STORAGE_URL names, as an upload is (graph/uploads.py): the bytes first, then the
rows that name them, and the bytes removed again when those do not commit."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, fields

from domain.attachments import StoredFile
from storage.store import FileStore, new_key

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class DemoFile:
    filename: str
    content_type: str
    content: bytes


def pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF showing the lines (Helvetica in WinAnsi, which has å, ä and ö)."""
    shown = b" ".join(b"(" + _pdf_text(line) + b") '" for line in lines)
    text = b"BT /F1 11 Tf 56 790 Td 16 TL " + shown + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return bytes(out)


def _pdf_text(line: str) -> bytes:
    encoded = line.encode("cp1252", "replace")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


# Sent by the customer with its portal message about the leak.
INSURANCE_CLAIM = DemoFile(
    "Skadeanmälan Brf Solbacken.pdf",
    PDF,
    pdf(
        [
            "Skadeanmälan - vattenskada",
            "Bostadsrättsföreningen Solbacken, org.nr 769612-3456",
            "Skadedatum: natten till i går. Plats: trapphus B, tvättstuga och källarförråd.",
            "Orsak: stambrott. Huvudkranen stängdes av jouren.",
            "Kontaktperson: Karin Svensson, ordförande",
        ]
    ),
)
ACTION_PLAN = DemoFile(
    "Åtgärdsplan stambrott trapphus B.pdf",
    PDF,
    pdf(
        [
            "Åtgärdsplan: stambrott i trapphus B",
            "1. Provisorisk lagning av stammen (utförd).",
            "2. Fuktmätning i lägenhet 1102 och 1202.",
            "3. Avfuktning av källarförrådet, cirka två veckor.",
            "4. Offert på nytt innertak i tvättstugan.",
        ]
    ),
)
MOISTURE_READINGS = DemoFile(
    "Fuktmätning 1102 och 1202.csv",
    CSV,
    (
        "Lägenhet;Rum;Mätpunkt;Relativ fuktighet (%)\n"
        "1102;Badrum;Golv vid golvbrunn;86\n"
        "1102;Kök;Vägg bakom diskbänk;74\n"
        "1202;Badrum;Golv vid golvbrunn;62\n"
        "1202;Hall;Golv vid badrumsdörr;55\n"
    ).encode(),
)
INSPECTION_REPORT = DemoFile(
    "OVK-protokoll.pdf",
    PDF,
    pdf(
        [
            "Protokoll: obligatorisk ventilationskontroll (OVK)",
            "Ventilationssystem: FTX, aggregat i undercentralen",
            "Resultat: godkänd. Filterbyte rekommenderas inom sex månader.",
            "Nästa besiktning: om tre år",
        ]
    ),
)


@dataclass(frozen=True)
class DemoFiles:
    """The demo's files as stored."""

    insurance_claim: StoredFile
    action_plan: StoredFile
    moisture_readings: StoredFile
    inspection_report: StoredFile

    def keys(self) -> list[str]:
        return [getattr(self, each.name).key for each in fields(self)]


async def store_demo_files(store: FileStore) -> DemoFiles:
    """Writes every file; when one fails, those already written are removed."""
    stored: list[StoredFile] = []
    try:
        for given in (INSURANCE_CLAIM, ACTION_PLAN, MOISTURE_READINGS, INSPECTION_REPORT):
            key = new_key()
            await store.put(key, io.BytesIO(given.content))
            stored.append(StoredFile(key, given.filename, given.content_type, len(given.content)))
    except BaseException:
        await store.delete([f.key for f in stored])
        raise
    return DemoFiles(*stored)
