"""ContractLifecycle: one durable entity workflow per contract.

Events arrive by signal (signal-with-start from the ingress relay), are folded through the pure
lifecycle in `workflows.lifecycle`, and every applied change is written to the read model. The
places where outbound delivery, CRM reconcile and polling attach are the `_on_*` methods and
`_next_wakeup`.
"""

from datetime import timedelta
from urllib.parse import quote

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.events import ContractEvent, ContractView
    from core.temporal import CONTRACT_EXTERNAL_ID, CONTRACT_STATUS, CONTRACT_VENDOR
    from workflows import lifecycle
    from workflows.inputs import ContractInput, NumberedEntry, ReadModelUpdate
    from workflows.lifecycle import ContractState, Result

BATCH = 500
EVENTS_PER_RUN = 2000
STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)


@workflow.defn(name="ContractLifecycle")
class ContractLifecycle:
    @workflow.init
    def __init__(self, input: ContractInput) -> None:
        self._input = input
        self._state = input.carried or ContractState(
            contract_id=input.contract_id, vendor=input.vendor, external_id=input.external_id
        )
        self._pending: list[ContractEvent] = []
        self._written_seq = input.written_seq
        self._events_this_run = 0
        self._busy = False

    @workflow.signal(name="event")
    def event(self, raw: RawValue) -> None:
        """Accepts anything: an event that does not decode is recorded, never fails the task."""
        try:
            event = workflow.payload_converter().from_payload(raw.payload, ContractEvent)
        except Exception as error:  # noqa: BLE001  (any decoding failure is a malformed event)
            workflow.logger.warning("malformed event for %s: %s", self._input.contract_id, error)
            lifecycle.record_note(
                self._state,
                f"malformed-{workflow.uuid4()}",
                f"malformed event: {str(error)[:200]}",
                workflow.now(),
            )
            return
        self._pending.append(event)

    @workflow.query(name="state")
    def state(self) -> ContractView:
        return self._state.view(workflow.info().workflow_id, self._ui_url())

    @workflow.update(name="sync")
    async def sync(self) -> ContractView:
        """Read-your-write: returns once every event received so far has been applied."""
        await workflow.wait_condition(lambda: not self._pending and not self._busy)
        return self.state()

    @workflow.run
    async def run(self, input: ContractInput) -> ContractView:
        workflow.upsert_search_attributes(
            [
                CONTRACT_VENDOR.value_set(input.vendor),
                CONTRACT_EXTERNAL_ID.value_set(input.external_id),
            ]
        )
        while await self._wait_for_work():
            await self._process_batch()
            if self._should_continue_as_new():
                # New events wake us too: a `sync` update in flight waits for them to be applied.
                await workflow.wait_condition(
                    lambda: bool(self._pending) or workflow.all_handlers_finished()
                )
                if not self._pending:
                    workflow.continue_as_new(self._carry_over())
        await self._write_read_model(finished=True)
        return self.state()

    async def _wait_for_work(self) -> bool:
        """Wait for events; False once a terminal contract's grace period has passed quietly."""
        try:
            await workflow.wait_condition(lambda: bool(self._pending), timeout=self._next_wakeup())
        except TimeoutError:
            if self._state.terminal:
                return False
            await self._on_quiet()
            return True
        return True

    def _next_wakeup(self) -> timedelta | None:
        if self._state.terminal:
            finalized = self._state.finalized_at or workflow.now()
            remaining = finalized + self._input.config.terminal_grace - workflow.now()
            return max(remaining, timedelta(seconds=1))
        return None  # polling fallback and expiry attach here

    async def _process_batch(self) -> None:
        self._busy = True
        try:
            await self._apply_batch()
        finally:
            self._busy = False

    async def _apply_batch(self) -> None:
        batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
        was_terminal = self._state.terminal
        now = workflow.now()
        changes: list[tuple[ContractEvent, Result]] = []
        for event in batch:
            result = lifecycle.apply(self._state, event, now)
            if result.status_changed:
                changes.append((event, result))
        self._events_this_run += len(batch)
        if changes and self._state.status is not None:
            workflow.upsert_search_attributes([CONTRACT_STATUS.value_set(self._state.status.value)])
            workflow.set_current_details(
                f"{self._state.status.value}: {self._state.vendor} contract "
                f"{self._state.external_id}"
            )
        await self._write_read_model()
        for event, result in changes:
            await self._on_status_change(event, result)
        if self._state.terminal and not was_terminal:
            await self._on_terminal()

    async def _on_status_change(self, event: ContractEvent, result: Result) -> None:
        """Outbound delivery of `contract.<status>` to subscribers attaches here."""

    async def _on_terminal(self) -> None:
        """CRM reconcile attaches here."""

    async def _on_quiet(self) -> None:
        """Polling the vendor when webhooks stop attaches here."""

    async def _write_read_model(self, finished: bool = False) -> None:
        state = self._state
        unwritten = state.events_recorded - self._written_seq
        if unwritten <= 0 and not finished:
            return
        first_kept = state.events_recorded - len(state.timeline) + 1
        entries = [
            NumberedEntry(seq=first_kept + index, entry=entry)
            for index, entry in enumerate(state.timeline)
            if first_kept + index > self._written_seq
        ]
        update = ReadModelUpdate(
            contract_id=state.contract_id,
            vendor=state.vendor,
            external_id=state.external_id,
            workflow_id=workflow.info().workflow_id,
            revision=state.events_recorded * 2 + int(finished),
            finished=finished,
            status=state.status.value if state.status else None,
            vendor_status=state.vendor_status,
            parties=state.parties,
            created_at=state.created_at,
            updated_at=state.updated_at,
            completed_at=state.completed_at,
            last_event_at=state.last_event_at,
            next_poll_at=state.next_poll_at,
            entries=entries,
        )
        await workflow.execute_activity(
            "write_read_model",
            update,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=STORE_RETRY,
        )
        self._written_seq = state.events_recorded

    def _should_continue_as_new(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._events_this_run >= EVENTS_PER_RUN
        )

    def _carry_over(self) -> ContractInput:
        return self._input.model_copy(
            update={"carried": self._state, "written_seq": self._written_seq}
        )

    def _ui_url(self) -> str | None:
        base = self._input.config.temporal_ui_url
        if not base:
            return None
        info = workflow.info()
        workflow_id = quote(info.workflow_id, safe="")
        return f"{base.rstrip('/')}/namespaces/{quote(info.namespace)}/workflows/{workflow_id}"
