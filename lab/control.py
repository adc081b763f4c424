"""Start, stop and inspect a lab daemon by its state directory.

    print(up(Path("/tmp/lab"), profile_path, None))     # returns when every stand-in answers
    print(down(Path("/tmp/lab"), profile_path, None))   # stops only the PID this lab recorded
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

MANIFEST = "lab.json"
START_BUDGET = 30.0
STOP_BUDGET = 15.0


class LabError(Exception):
    """A lab action failed; the message is one line."""


def _manifest(lab_dir: Path) -> dict[str, object] | None:
    try:
        return dict(json.loads((lab_dir / MANIFEST).read_text()))
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def up(lab_dir: Path, profile: Path, repo: Path | None = None) -> str:
    current = _manifest(lab_dir)
    if current and _alive(int(str(current["pid"]))):
        return f"lab already up in {lab_dir} (pid {current['pid']})"
    lab_dir.mkdir(parents=True, exist_ok=True)
    (lab_dir / MANIFEST).unlink(missing_ok=True)
    argv = [sys.executable, "-m", "lab", "serve", "--dir", str(lab_dir), "--profile", str(profile),
            *(["--repo", str(repo)] if repo is not None else [])]
    if repo is not None and not repo.is_dir():
        raise LabError(f"--repo {repo}: no such directory")
    with open(lab_dir / "lab.log", "ab") as log:  # the daemon keeps its own copy of the descriptor
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_BUDGET)
    line = proc.stdout.readline().decode().strip() if ready else ""
    proc.stdout.close()
    if line != "ready":
        if proc.poll() is None:
            proc.terminate()
            proc.wait(STOP_BUDGET)
        raise LabError(f"did not become ready within {START_BUDGET:g}s: {_last_log_line(lab_dir)}")
    return f"lab up in {lab_dir} (pid {proc.pid})"


def down(lab_dir: Path, profile: Path) -> str:
    current = _manifest(lab_dir)
    if not current:
        return f"no lab running in {lab_dir}"
    pid = int(str(current["pid"]))
    if _alive(pid):
        _stop(pid)
    (lab_dir / MANIFEST).unlink(missing_ok=True)
    from lab.cleanup import cleanup_lab
    leftovers = cleanup_lab(lab_dir, current)
    return f"lab down in {lab_dir}" + (f" (removed leftovers: {', '.join(leftovers)})" if leftovers else "")


def _stop(pid: int) -> None:
    """SIGTERM, wait for the exit on a pidfd (an event, not a poll), SIGKILL after the budget."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        exited, _, _ = select.select([fd], [], [], STOP_BUDGET)
        if not exited:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            select.select([fd], [], [], STOP_BUDGET)
    finally:
        os.close(fd)


def status(lab_dir: Path, profile: Path) -> str:
    current = _manifest(lab_dir)
    if not current:
        return f"no lab in {lab_dir}"
    state = "up" if _alive(int(str(current["pid"]))) else "dead (run `down` to clean up)"
    return json.dumps({"state": state, **{k: v for k, v in current.items() if k != "secrets"}}, indent=2)


def _last_log_line(lab_dir: Path) -> str:
    try:
        lines = (lab_dir / "lab.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1] if lines else "the lab exited without a word"
