"""schema/schema.graphql is the exported SDL, committed: a change to the API shows in review."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema.build import export_sdl

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "api" / "check_contract.py"


def test_committed_schema_matches_the_export():
    committed = (ROOT / "schema" / "schema.graphql").read_text()
    assert committed == export_sdl(), "schema/schema.graphql is stale: run `registry-gateway export-schema " \
                                      "--output schema/schema.graphql` and commit it"


@pytest.mark.skipif(not CONTRACT.exists() and not os.environ.get("CI"),
                    reason="the API contract (../shared/api) is not beside this clone")
def test_exported_schema_keeps_the_core_contract():
    result = subprocess.run([sys.executable, str(CONTRACT), str(ROOT / "schema" / "schema.graphql"), "core"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
