"""`contractsync bench` at toy size: every section against real stacks, in seconds."""

import re
from pathlib import Path

import pytest

from tools.bench.cli import run_bench, toy_config
from tools.bench.report import BEGIN, END

pytestmark = pytest.mark.e2e


def test_every_section_runs_and_the_doc_keeps_its_analysis(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nintro\n\n{BEGIN}\nold\n{END}\n\n## Analysis\n\nmine\n")

    table = run_bench(toy_config(tmp_path / "work"), "contractsync bench --toy", doc, print)

    for measure in ("ingress acks/s", "pipeline events/s", "visible in GET", "worker RSS", "polls"):
        assert measure in table
    assert "server on a core of its own" in table  # the ingress again, placed
    assert "n/a" not in table.split("\n\n")[0]  # every figure was measured
    written = doc.read_text()
    assert written.startswith("# Benchmarks\n\nintro\n\n")
    assert written.endswith("\n\n## Analysis\n\nmine\n")
    assert "old" not in written
    assert "the worker's workflow tasks (SDK metrics" in written  # where end to end waits
    assert re.search(r"events polled over \d+ runs \([\d,]+ GETs\)", written)  # the observers
    assert re.search(r"a new contract's first workflow task waited p50 [\d,]+ ms", written)
    assert re.search(r"Measured \d{4}-\d\d-\d\d", written)
