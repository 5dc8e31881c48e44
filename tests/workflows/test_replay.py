"""Every recorded history still replays: a change that breaks determinism fails here."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import STRICT_SANDBOX, WORKFLOWS

FOLDER = Path(__file__).parent / "histories"
HISTORIES = {path.stem: path.read_text() for path in sorted(FOLDER.glob("*.json"))}


def test_there_is_a_history_to_replay() -> None:
    assert HISTORIES


@pytest.mark.parametrize("name", sorted(HISTORIES))
async def test_history_replays(name: str) -> None:
    history = WorkflowHistory.from_json(name, HISTORIES[name])
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=STRICT_SANDBOX,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
