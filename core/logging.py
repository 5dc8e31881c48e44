"""Structured logs for the API and the worker: one JSON object a line, or text in dev mode.

A line about one contract carries `contract_id`, `event_id` and `workflow_id` as fields, so a
log store can follow one contract across API replicas and workers without parsing messages.
Our own calls pass them with `extra=event_ids(event)`; Temporal's workflow and activity loggers
already attach the run's info as `temporal_workflow` / `temporal_activity`, which is read too.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from temporalio import activity, workflow

from core.events import ContractEvent, contract_id_for, workflow_id_of
from core.settings import Settings

IDS = ("contract_id", "event_id", "workflow_id")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
WORKFLOW_PREFIX = "contract-"  # as core.events.workflow_id_for writes it


def event_ids(event: ContractEvent) -> dict[str, str]:
    """`extra=` for a log call about one stored event."""
    return {
        "contract_id": event.contract_id,
        "event_id": event.event_id,
        "workflow_id": workflow_id_of(event.contract_id),
    }


def ids_of(record: logging.LogRecord) -> dict[str, str]:
    """The ids a record carries, from `extra=` or from Temporal's own logger adapters."""
    found = {name: str(value) for name in IDS if (value := getattr(record, name, None))}
    for temporal in ("temporal_workflow", "temporal_activity"):
        info = getattr(record, temporal, None)
        if isinstance(info, dict) and info.get("workflow_id"):
            found.setdefault("workflow_id", str(info["workflow_id"]))
    workflow_id = found.get("workflow_id", "")
    if "contract_id" not in found and workflow_id.startswith(WORKFLOW_PREFIX):
        # Vendor names never contain "-", so the first one ends the vendor.
        vendor, _, external_id = workflow_id.removeprefix(WORKFLOW_PREFIX).partition("-")
        if external_id:
            found["contract_id"] = contract_id_for(vendor, external_id)
    return found


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **ids_of(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = ids_of(record)
        if not ids:
            return text
        # The ids go before any traceback so they stay on the first line.
        first, _, rest = text.partition("\n")
        suffix = " ".join(f"{name}={value}" for name, value in ids.items())
        return f"{first} [{suffix}]" + (f"\n{rest}" if rest else "")


def log_format(settings: Settings) -> str:
    return settings.log_format or ("text" if settings.dev_mode else "json")


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Route every logger (ours, uvicorn's, Temporal's) through one handler on stderr."""
    fmt = log_format(settings)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for previous in root.handlers[:]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    if fmt == "json":
        # The run's ids become fields; repeating them inside the message only adds noise.
        workflow.logger.workflow_info_on_message = False
        activity.logger.activity_info_on_message = False
    return handler
