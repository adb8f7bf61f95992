"""The HTML usage report opens in headless Chromium and shows its chart (screenshot check).

Needs ``/usr/bin/chromium`` (Debian: ``apt-get install -y chromium``). Without it the test skips,
except when ``CI`` is set: then it fails, so a CI without a browser cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from openclaw.paths import resolve_paths
from openclaw.usage.base import UsageRecord
from openclaw.usage.sqlite_store import SqliteStore

pytestmark = pytest.mark.browser

REPORTED = (0x4F, 0x46, 0xE5)  # usage_html.REPORTED_COLOR
ESTIMATED = (0xF5, 0x9E, 0x0B)  # usage_html.ESTIMATED_COLOR


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is not installed (Debian: apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw pixel bytes) of an 8-bit RGB/RGBA PNG, stdlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = depth = color = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert depth == 8 and color in (2, 6), (depth, color)
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 0xFF
            elif filt == 2:
                line[i] = (line[i] + b) & 0xFF
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        out[y * stride : (y + 1) * stride] = line
        prev = line
    return width, height, channels, bytes(out)


def _count_color(pixels: bytes, channels: int, rgb: tuple[int, int, int], tolerance: int = 24) -> int:
    count = 0
    r0, g0, b0 = rgb
    for i in range(0, len(pixels), channels):
        if (
            abs(pixels[i] - r0) <= tolerance
            and abs(pixels[i + 1] - g0) <= tolerance
            and abs(pixels[i + 2] - b0) <= tolerance
        ):
            count += 1
    return count


def test_html_report_renders_a_chart_in_chromium(cli, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    browser = _chromium()
    store = SqliteStore(resolve_paths({"HOME": str(home)}).usage_db)
    now = time.time()
    rows = []
    for day in range(10):
        for n in range(day % 4 + 1):
            rows.append(
                UsageRecord(
                    ts=now - day * 86400 - n,
                    source="gateway",
                    provider="openrouter",
                    model_requested="openrouter/anthropic/claude-sonnet-4.5" if n % 2 else "openrouter/auto",
                    status="ok",
                    request_id=f"{day}-{n}",
                    input_tokens=1000,
                    output_tokens=200,
                    cost=0.01 * (n + 1),
                    cost_source="provider" if n % 2 == 0 else "catalog",
                )
            )
    store.write(rows)
    store.close()
    page = tmp_path / "usage.html"
    result = cli("usage", "report", "--html", str(page), "--since", "14d")
    assert result.code == 0, result.output

    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,900",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert shot.exists(), f"no screenshot (rc={proc.returncode}): {proc.stderr[-2000:]}"
    width, height, channels, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (1200, 900)
    # not blank: many pixels differ from the white background...
    stride = channels
    non_white = sum(1 for i in range(0, len(pixels), stride * 7) if pixels[i : i + 3] != b"\xff\xff\xff")
    assert non_white > 2000, non_white
    # ...and the chart's bars are there, in both colours (reported and estimated cost)
    assert _count_color(pixels, channels, REPORTED) > 3000
    assert _count_color(pixels, channels, ESTIMATED) > 1000
