"""Open a report in real headless Chromium (Debian's ``chromium``) and read back what it rendered.

    page = render(Path("report.html"), tmp_path)      # skips, saying why, when chromium is not installed
    assert page.colours[(229, 57, 53)] > 50           # pixels of the routing picture's failing red
    assert "<svg class=\"routing\"" in page.dom and not page.console

Only local files are loaded (``file://``, ``--no-proxy-server``, background networking off); as
root Chromium runs in a network namespace of its own (``unshare --net``), so it cannot reach any
network at all. One Chromium process takes the screenshot and prints the DOM after load
(``--screenshot`` with ``--dump-dom``); ``console`` holds the page's console messages
(``--enable-logging=stderr``: lines with ``:CONSOLE``). The PNG is decoded here (zlib and the
five PNG filters) to keep Pillow out of the dependencies.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import pytest

BROWSER = "chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-proxy-server", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--no-first-run",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--enable-logging=stderr", "--v=0")


@dataclass(frozen=True)
class Page:
    png: bytes
    width: int
    height: int
    colours: Counter[tuple[int, int, int]]
    dom: str
    console: list[str]          # the page's console messages (errors included)
    screenshot: Path


def chromium() -> str | None:
    return shutil.which(BROWSER)


def _prefix() -> list[str]:
    if os.geteuid() == 0 and shutil.which("unshare"):
        return ["unshare", "--net", "--"]   # a fresh network namespace: not even loopback is up
    return []


def render(html: Path, tmp: Path, size: tuple[int, int] = (1280, 1400), name: str = "page") -> Page:
    """Screenshot and DOM of ``html`` as Chromium renders it; skips when Chromium is missing."""
    exe = chromium()
    if exe is None:
        pytest.skip(f"`{BROWSER}` is not installed (Debian package chromium; ./scripts/setup installs it)")
    url = html.resolve().as_uri()
    shot = tmp / f"{name}.png"
    argv = [*_prefix(), exe, *FLAGS, f"--window-size={size[0]},{size[1]}",
            f"--user-data-dir={tmp / (name + '-profile')}", f"--screenshot={shot}", "--dump-dom", url]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}:\n{proc.stderr[-2000:]}"
    assert shot.exists(), f"no screenshot written:\n{proc.stderr[-2000:]}"
    png = shot.read_bytes()
    width, height, pixels = read_png(png)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return Page(png, width, height, Counter(pixels), proc.stdout, console, shot)


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """(width, height, RGB pixels row by row) of an 8-bit, non-interlaced RGB/RGBA/grey PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header is not None, "PNG without IHDR"
    width, height, depth, colour_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type)
    assert depth == 8 and channels is not None and interlace == 0, f"unsupported PNG {header}"
    raw = zlib.decompress(idat)
    stride = width * channels
    pixels: list[tuple[int, int, int]] = []
    previous = bytearray(stride)
    high, low = int.from_bytes(b"\x80" * stride, "big"), int.from_bytes(b"\x7f" * stride, "big")
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:    # Sub: a running sum per channel, modulo 256
            for c in range(channels):
                line[c::channels] = bytes(map((255).__and__, accumulate(line[c::channels])))
        elif kind == 2:  # Up: bytewise addition of two rows at once (SWAR on big integers)
            a, b = int.from_bytes(line, "big"), int.from_bytes(previous, "big")
            line = bytearray((((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big"))
        elif kind in (3, 4):
            _unfilter_slow(kind, line, previous, channels)
        if channels >= 3:
            pixels += zip(line[0::channels], line[1::channels], line[2::channels], strict=True)
        else:
            pixels += ((v, v, v) for v in line[0::channels])
        previous = line
    return width, height, pixels


def _unfilter_slow(kind: int, line: bytearray, previous: bytearray, channels: int) -> None:
    """Average (3) and Paeth (4): each byte depends on the one just decoded."""
    for x in range(len(line)):
        left = line[x - channels] if x >= channels else 0
        up = previous[x]
        if kind == 3:
            line[x] = (line[x] + (left + up) // 2) & 0xFF
            continue
        corner = previous[x - channels] if x >= channels else 0
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
