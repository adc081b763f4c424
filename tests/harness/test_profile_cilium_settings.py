"""The profile's Cilium settings (cilium.bgp_control_plane, cilium.lb_acceleration): defaults, and
malformed values named with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import ProfileError
from harness.model.profile import load_profile
from tests.edits import replace_once

PROFILE = Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "home-ops.yaml"
BGP = "  bgp_control_plane: true "
ACCEL = "  lb_acceleration: disabled "


def test_home_ops_states_the_architecture() -> None:
    cilium = load_profile(PROFILE).cilium
    assert cilium.bgp_control_plane is True and cilium.lb_acceleration == "disabled"


def test_absent_fields_take_the_architecture_defaults(tmp_path: Path) -> None:
    lines = [line for line in PROFILE.read_text().splitlines(keepends=True)
             if not line.startswith((BGP, ACCEL))]
    path = tmp_path / "p.yaml"
    path.write_text("".join(lines))
    cilium = load_profile(path).cilium
    assert cilium.bgp_control_plane is True and cilium.lb_acceleration == "disabled"


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    (BGP, "  bgp_control_plane: yes-please ", "cilium.bgp_control_plane", "expected true or false"),
    (ACCEL, "  lb_acceleration: xdp ", "cilium.lb_acceleration", "expected one of disabled, native, best-effort"),
])
def test_malformed_setting_names_file_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                                     words: str) -> None:
    path = tmp_path / "p.yaml"
    text = PROFILE.read_text()
    path.write_text(replace_once(text, old, new))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if t.startswith(new))
    assert message.startswith(f"{path}:{line}: {field}: ") and words in message, message
