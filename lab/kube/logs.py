"""JSON-lines access and audit logs; only request metadata, never bodies (no secret values).

log = RequestLog(state_dir / "access.jsonl"); log.write(entry)
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class LogEntry:
    time: str
    user: str
    verb: str
    method: str
    path: str
    apiVersion: str
    kind: str
    resource: str
    namespace: str
    name: str
    code: int


class RequestLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    def write(self, entry: LogEntry) -> None:
        line = json.dumps(asdict(entry), separators=(",", ":"))
        with self._lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
