"""Workflow code may not read the clock, draw randomness or do I/O.

The production worker runs workflows outside Temporal's sandbox (worker.WORKFLOW_RUNNER), so
nothing stops such calls there at run time. This check stands in for it, beside the workflow
and replay tests, which run under the strict sandbox."""

import ast
from pathlib import Path

import pytest

import workflows

PACKAGE = Path(workflows.__file__).parent
# client.py is the API's side (it starts and signals workflows); it never runs in one.
WORKFLOW_CODE = sorted(path for path in PACKAGE.glob("*.py") if path.name != "client.py")
FORBIDDEN_MODULES = {
    "os",
    "random",
    "secrets",
    "socket",
    "subprocess",
    "threading",
    "time",
    "uuid",
    "httpx",
    "sqlalchemy",
    "sqlmodel",
}
FORBIDDEN_ATTRIBUTES = {"now", "utcnow", "today", "fromtimestamp"}  # the wall clock
FORBIDDEN_CALLS = {"open", "input", "print"}


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            names = []
        line = getattr(node, "lineno", 0)
        found += [f"line {line}: import {name}" for name in names if _forbidden(name)]
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            if isinstance(node.value, ast.Name) and node.value.id == "workflow":
                continue  # workflow.now(): the deterministic clock
            found.append(f"line {node.lineno}: .{node.attr}")
        called = node.func if isinstance(node, ast.Call) else None
        if isinstance(called, ast.Name) and called.id in FORBIDDEN_CALLS:
            found.append(f"line {line}: {called.id}()")
    return found


def _forbidden(module: str) -> bool:
    return module.split(".")[0] in FORBIDDEN_MODULES


@pytest.mark.parametrize("path", WORKFLOW_CODE, ids=lambda path: path.name)
def test_workflow_code_stays_deterministic(path: Path) -> None:
    assert violations(path.read_text()) == []


@pytest.mark.parametrize(
    "line",
    [
        "import random",
        "from uuid import uuid4",
        "stamp = datetime.now(UTC)",
        "with open('x') as f: pass",
        "import time as clock",
        "stamp = datetime.datetime.utcnow()",
    ],
)
def test_the_check_sees_what_the_sandbox_would_have_stopped(line: str) -> None:
    assert violations(line)


def test_the_workflow_clock_is_allowed() -> None:
    assert violations("stamp = workflow.now()") == []
