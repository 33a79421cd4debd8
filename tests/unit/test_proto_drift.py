"""The committed generated gRPC code must be what `make proto` produces from the .proto files."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "protos" / "moodtune" / "v1"


def test_generated_code_matches_protos(tmp_path):
    protos = sorted(PROTO_DIR.glob("*.proto"))
    assert protos, "no .proto files found"
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", str(ROOT / "protos"),
         f"--python_out={tmp_path}", f"--pyi_out={tmp_path}", f"--grpc_python_out={tmp_path}",
         *map(str, protos)],
        check=True,
    )
    generated = sorted((tmp_path / "moodtune" / "v1").iterdir())
    assert generated
    stale = [
        p.name for p in generated
        if not (PROTO_DIR / p.name).exists() or not filecmp.cmp(p, PROTO_DIR / p.name, shallow=False)
    ]
    assert not stale, f"generated code out of date, run `make proto`: {stale}"


def test_protos_compile_with_include_root_alone(tmp_path):
    """Other languages compile with `-I protos` only: every import must resolve from there."""
    out = tmp_path / "descriptor.pb"
    result = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", str(ROOT / "protos"),
         f"--descriptor_set_out={out}", *map(str, sorted(PROTO_DIR.glob("*.proto")))],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0
