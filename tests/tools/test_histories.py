"""Task waits read from histories: a new contract's first workflow task apart from the rest."""

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tools.bench.histories import TaskWaits

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def event(kind: EventType.ValueType, ms: int, continued_from: str = "") -> HistoryEvent:
    made = HistoryEvent(event_type=kind)
    made.event_time.FromDatetime(T0 + timedelta(milliseconds=ms))
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        started = made.workflow_execution_started_event_attributes
        started.continued_execution_run_id = continued_from
    return made


def history(continued_from: str = "") -> list[HistoryEvent]:
    """Started; a task waiting 700 ms; a signal; a task waiting 40 ms; one started at once."""
    return [
        event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0, continued_from),
        event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 0),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 700),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 800),
        event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 900),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 900),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 940),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 990),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 990),
        event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 990),
    ]


def test_a_new_contracts_first_task_is_told_apart_from_the_later_ones() -> None:
    waits = TaskWaits()
    waits.add(history())
    assert waits.contracts == 1
    assert waits.first == pytest.approx([0.7])
    assert waits.later == pytest.approx([0.04, 0.0])


def test_a_continued_run_starts_no_contract() -> None:
    waits = TaskWaits()
    waits.add(history(continued_from="earlier-run"))
    assert (waits.contracts, waits.first) == (0, [])
    assert waits.later == pytest.approx([0.7, 0.04, 0.0])
