"""Structured logs: JSON lines (text in dev) carrying the contract's ids."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from temporalio import activity, workflow

from core.logging import configure_logging, event_ids, log_format
from core.settings import Settings
from tests.support import make_event


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handler; give pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    flags = (workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message = flags


def configured(settings: Settings, **values: str) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(Settings(**(settings.model_dump(by_alias=True) | values)), stream)
    return stream


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_the_event_ids(settings: Settings) -> None:
    stream = configured(settings)
    event = make_event("br-9", "APPROVED")
    logging.getLogger("contractsync.relay").warning(
        "could not hand %s over", event.event_id, extra=event_ids(event)
    )
    line = json.loads(lines(stream)[-1])
    assert line["level"] == "WARNING"
    assert line["logger"] == "contractsync.relay"
    assert line["message"] == f"could not hand {event.event_id} over"
    assert line["contract_id"] == "vlens:br-9"
    assert line["event_id"] == event.event_id
    assert line["workflow_id"] == "contract-vlens-br-9"
    assert line["ts"].endswith("+00:00")


@pytest.mark.usefixtures("restore_logging")
def test_temporal_run_info_becomes_the_ids(settings: Settings) -> None:
    stream = configured(settings)
    info = {"workflow_id": "contract-signly-doc-1-a", "run_id": "r1", "attempt": 1}
    logging.getLogger("temporalio.workflow").info("applied", extra={"temporal_workflow": info})
    line = json.loads(lines(stream)[-1])
    assert line["workflow_id"] == "contract-signly-doc-1-a"
    assert line["contract_id"] == "signly:doc-1-a"
    assert workflow.logger.workflow_info_on_message is False  # the ids are fields already


@pytest.mark.usefixtures("restore_logging")
def test_lines_without_ids_and_with_exceptions_stay_one_json_object(settings: Settings) -> None:
    stream = configured(settings)
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logging.getLogger("contractsync.api").exception("failed")
    (only,) = lines(stream)
    line = json.loads(only)
    assert "contract_id" not in line
    assert "ValueError: boom" in line["exception"]


@pytest.mark.usefixtures("restore_logging")
def test_text_in_dev_mode_with_the_ids_on_the_first_line(settings: Settings) -> None:
    dev = Settings(**(settings.model_dump(by_alias=True) | {"CONTRACTSYNC_ENV": "dev"}))
    assert log_format(dev) == "text"
    assert log_format(settings) == "json"
    stream = configured(settings, CONTRACTSYNC_ENV="dev")
    event = make_event("br-2", None)
    logging.getLogger("contractsync.ingress").error("stored", extra=event_ids(event))
    (line,) = lines(stream)
    assert "ERROR" in line
    assert "contractsync.ingress: stored" in line
    assert line.endswith(
        f"[contract_id=vlens:br-2 event_id={event.event_id} workflow_id=contract-vlens-br-2]"
    )
    assert log_format(Settings(**(dev.model_dump(by_alias=True) | {"LOG_FORMAT": "json"}))) == (
        "json"
    )


@pytest.mark.usefixtures("restore_logging")
def test_log_level_applies(settings: Settings) -> None:
    stream = configured(settings, LOG_LEVEL="warning")
    logging.getLogger("contractsync.api").info("hidden")
    logging.getLogger("contractsync.api").warning("shown")
    assert [json.loads(line)["message"] for line in lines(stream)] == ["shown"]
