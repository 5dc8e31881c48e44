"""ContractLifecycle: one durable entity workflow per contract.

Events arrive by signal (signal-with-start from the ingress relay), are folded through the pure
lifecycle in `workflows.lifecycle`, and every applied change is written to the read model. The
places where outbound delivery, CRM reconcile and polling attach are the `_on_*` methods and
`_next_wakeup`.
"""

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    import workflows.lifecycle as lifecycle
    import workflows.polling as polling
    from core.events import ContractEvent, ContractView
    from core.statuses import ContractStatus
    from core.temporal import CONTRACT_EXTERNAL_ID, CONTRACT_STATUS, CONTRACT_VENDOR
    from workflows.delivery import EventDelivery, delivery_workflow_id, has_subscribers
    from workflows.inputs import (
        ContractChange,
        ContractInput,
        CrmOutcome,
        CrmRecord,
        NumberedEntry,
        PollRequest,
        PollResult,
        ReadModelUpdate,
    )
    from workflows.lifecycle import ContractState, Result

BATCH = 500
MIN_WAIT = timedelta(seconds=1)  # the shortest wait for a wakeup, so a late one cannot spin
EVENTS_PER_RUN = 2000
STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# A vendor API that stays down fails this poll; the next one is scheduled as usual.
POLL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5), maximum_attempts=6
)
CRM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=10)
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
        self._poll_wait = input.poll_wait
        self._crm: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None  # the timer for polls, expiry, grace
        self._wakeup_at: datetime | None = None

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

    @workflow.update(name="poll")
    async def poll(self) -> ContractView:
        """Ask the vendor now (`POST /contracts/{id}/poll`); a change is applied like a webhook."""
        await self._poll(manual=True)
        await workflow.wait_condition(lambda: not self._pending and not self._busy)
        return self.state()

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
            if self._pending:
                await self._process_batch()
            if self._should_continue_as_new():
                # New events wake us too: a `sync` update in flight waits for them to be applied.
                await workflow.wait_condition(
                    lambda: bool(self._pending) or workflow.all_handlers_finished()
                )
                if not self._pending:
                    await self._settle()
                    workflow.continue_as_new(self._carry_over())
        await self._settle()
        await self._write_read_model(finished=True)
        return self.state()

    async def _wait_for_work(self) -> bool:
        """Wait for events; False once a terminal contract's grace period has passed quietly."""
        if workflow.patched("lazy-wakeup-timer"):
            timed_out = await self._wait_lazily()
        else:  # histories recorded before: one timer per wait, cancelled by each event
            try:
                await workflow.wait_condition(
                    lambda: bool(self._pending), timeout=self._next_wakeup()
                )
                timed_out = False
            except TimeoutError:
                timed_out = True
        if not timed_out:
            return True
        if self._state.terminal:
            return False
        await self._on_quiet()
        return True

    async def _wait_lazily(self) -> bool:
        """Wait for events or the next wakeup; True when the wakeup came first.

        The timer outlives the events that push the wakeup later: every event moves the next
        poll back, and cancelling and starting a timer for each one would add two history
        events and a timer task per event. A timer that fires before the (moved) wakeup is
        simply set again for the rest; only a wakeup moved earlier replaces it at once."""
        while not self._pending:
            deadline = self._wakeup_deadline()
            soonest = max(deadline, workflow.now() + MIN_WAIT)
            if self._wakeup is None or (self._wakeup_at is not None and self._wakeup_at > soonest):
                if self._wakeup is not None:
                    self._wakeup.cancel()
                self._wakeup = asyncio.ensure_future(workflow.sleep(soonest - workflow.now()))
                self._wakeup_at = soonest
            wakeup = self._wakeup

            def woken(timer: asyncio.Future[None] = wakeup) -> bool:
                return bool(self._pending) or timer.done()

            await workflow.wait_condition(woken)
            if wakeup.done():
                self._wakeup = self._wakeup_at = None
                if not self._pending and workflow.now() >= self._wakeup_deadline():
                    return True
        return False

    def _next_wakeup(self) -> timedelta:
        return max(self._wakeup_deadline() - workflow.now(), MIN_WAIT)

    def _wakeup_deadline(self) -> datetime:
        """Terminal: the end of the grace period. Otherwise the next poll or the expiry."""
        state, now = self._state, workflow.now()
        if state.terminal:
            return (state.finalized_at or now) + self._input.config.terminal_grace
        return min(self._expires_at(), state.next_poll_at or self._expires_at())

    def _expires_at(self) -> datetime:
        return polling.expires_at(self._state.created_at or workflow.now(), self._input.config)

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
        if not self._state.terminal:
            self._poll_wait = None  # the vendor spoke: start polling from the shortest wait
            self._schedule_poll()
        else:
            self._state.next_poll_at = None
        if changes and self._state.status is not None:
            workflow.upsert_search_attributes([CONTRACT_STATUS.value_set(self._state.status.value)])
            workflow.set_current_details(
                f"{self._state.status.value}: {self._state.vendor} contract "
                f"{self._state.external_id}"
            )
        wanted = await self._write_read_model(
            event_types=[result.status.event_type for _, result in changes if result.status]
        )
        for event, result in changes:
            await self._on_status_change(event, result, wanted)
        if self._state.terminal and not was_terminal:
            await self._on_terminal()

    async def _on_status_change(
        self, event: ContractEvent, result: Result, wanted: list[str] | None
    ) -> None:
        """Hands `contract.<status>` to an EventDelivery child that is abandoned, not awaited:
        subscribers never hold the contract up, nor its continue-as-new or completion.

        `wanted`: the event types a subscription wants, as the read-model write found them;
        None where that write did not ask (histories recorded before it did)."""
        # Histories recorded before outbound delivery existed replay without the child.
        if result.status is None or not workflow.patched("outbound-delivery"):
            return
        event_type = result.status.event_type
        # Histories from before the guard started a child for every change.
        if workflow.patched("outbound-delivery-guard"):
            if wanted is None:  # histories from before the write asked: a lookup of its own
                wanted = [event_type] if await has_subscribers(event_type) else []
            if event_type not in wanted:
                return
        change = ContractChange(
            event_id=event.event_id,
            event_type=event_type,
            contract_id=self._state.contract_id,
            vendor=self._state.vendor,
            external_id=self._state.external_id,
            status=result.status.value,
            previous_status=result.previous.value if result.previous else None,
            parties=self._state.parties,
            occurred_at=event.occurred_at,
            timestamp=workflow.now(),
        )
        try:
            await workflow.start_child_workflow(
                EventDelivery.run,
                change,
                id=delivery_workflow_id(event.event_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                static_summary=f"{change.event_type} for {change.contract_id}",
            )
        except WorkflowAlreadyStartedError:
            # Its deliveries exist already; failing the contract over it would be far worse.
            workflow.logger.warning("deliveries for %s already started", event.event_id)

    async def _on_terminal(self) -> None:
        """Reconcile the CRM in the background: a slow CRM never holds up late events."""
        if not self._input.config.crm_enabled:
            self._note("crm: skipped, CRM_BASE_URL is not set")
            return
        self._crm = asyncio.create_task(self._reconcile_crm())

    async def _reconcile_crm(self) -> None:
        state = self._state
        record = CrmRecord(
            contract_id=state.contract_id,
            vendor=state.vendor,
            external_id=state.external_id,
            status=state.status.value if state.status else None,
            vendor_status=state.vendor_status,
            completed_at=state.completed_at,
            parties=state.parties,
            updated_at=state.updated_at,
        )
        try:
            outcome = await workflow.execute_activity(
                "reconcile_crm",
                record,
                result_type=CrmOutcome,
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=self._input.config.terminal_grace,
                retry_policy=CRM_RETRY,
            )
        except ActivityError as error:
            self._note(f"crm: not reconciled: {error.cause or error}")
        else:
            self._note(f"crm: reconciled, matches after attempt {outcome.attempt}")
        await self._write_read_model()

    async def _on_quiet(self) -> None:
        """No event for a while: ask the vendor. Past the TTL: one last poll, then expire."""
        if workflow.now() < self._expires_at():
            if not await self._poll(manual=False):
                self._poll_wait = polling.backoff(self._poll_wait, self._input.config)
                self._schedule_poll()
            return
        await self._poll(manual=False)
        if self._pending:
            await self._process_batch()
        if not self._state.terminal:
            self._pending.append(self._timer_event("EXPIRED", "ttl"))

    async def _poll(self, manual: bool) -> bool:
        """Ask the vendor's API; queue what it says when it moves the contract forward."""
        state = self._state
        try:
            result = await workflow.execute_activity(
                "poll_vendor",
                PollRequest(vendor=state.vendor, external_id=state.external_id),
                result_type=PollResult,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=POLL_RETRY,
            )
        except ActivityError as error:
            self._note(f"poll failed: {error.cause or error}", manual)
            return False
        snapshot = result.snapshot
        if not result.configured or not result.found or snapshot is None:
            reason = "no API configured for" if not result.configured else "unknown to"
            self._note(f"poll: the contract is {reason} {state.vendor}", manual)
            return False
        found = ContractStatus.parse(snapshot.status)
        if state.terminal or found is None or (state.status and found.rank <= state.status.rank):
            self._note(f"poll: no change ({state.vendor} says {snapshot.vendor_status})", manual)
            return False
        digest = hashlib.sha256(snapshot.model_dump_json().encode()).hexdigest()[:32]
        self._pending.append(
            ContractEvent(
                event_id=f"poll-{workflow.uuid4().hex}",
                contract_id=state.contract_id,
                vendor=state.vendor,
                external_id=state.external_id,
                dedup_key=f"poll:{digest}",
                source="poll",
                vendor_event="status lookup",
                status=snapshot.status,
                vendor_status=snapshot.vendor_status,
                parties=snapshot.parties,
                occurred_at=snapshot.occurred_at,
                received_at=workflow.now(),
            )
        )
        return True

    def _timer_event(self, status: str, reason: str) -> ContractEvent:
        state = self._state
        return ContractEvent(
            event_id=f"timer-{workflow.uuid4().hex}",
            contract_id=state.contract_id,
            vendor=state.vendor,
            external_id=state.external_id,
            dedup_key=f"timer:{reason}",
            source="timer",
            vendor_event=reason,
            status=status,
            received_at=workflow.now(),
        )

    def _schedule_poll(self) -> None:
        wait = self._poll_wait or self._input.config.poll_after
        now = workflow.now()
        self._state.next_poll_at = now + polling.jittered(wait, workflow.random())
        # A wakeup timer already set within this wait's jitter range is as good a draw as the
        # new one: keep it, rather than replace the timer on almost every event.
        if self._wakeup_at is not None and polling.within_jitter(self._wakeup_at, now, wait):
            self._state.next_poll_at = self._wakeup_at

    def _note(self, text: str, show: bool = True) -> None:
        """A timeline line that is not a vendor event (reconciles, manual polls)."""
        if show:
            lifecycle.record_note(self._state, f"note-{workflow.uuid4().hex}", text, workflow.now())

    async def _settle(self) -> None:
        """Before this run ends: the background CRM reconcile finishes first."""
        if self._crm is not None:
            await self._crm
            self._crm = None

    async def _write_read_model(
        self, finished: bool = False, event_types: Sequence[str] = ()
    ) -> list[str] | None:
        """Writes what changed; returns those of `event_types` (status changes just applied)
        that a subscription wants, or None when the write was not asked (nothing to write,
        or a history recorded before the write answered it)."""
        state = self._state
        unwritten = state.events_recorded - self._written_seq
        if unwritten <= 0 and not finished:
            return None
        # Histories recorded before: a local activity per status change asked instead.
        asks = bool(event_types) and workflow.patched("read-model-asks-subscribers")
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
            event_types=list(event_types) if asks else [],
        )
        # Inside the workflow task that applied the events: no activity task to schedule,
        # dispatch and complete through the server, so a change is readable sooner and each
        # event costs Temporal one workflow task instead of two plus an activity. Histories
        # recorded before the change replay with the activity.
        execute = (
            workflow.execute_local_activity
            if workflow.patched("read-model-local")
            else workflow.execute_activity
        )
        # No result type: histories from before the write answered hold null as its result.
        wanted = await execute(
            "write_read_model",
            update,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=STORE_RETRY,
        )
        self._written_seq = state.events_recorded
        return [str(kind) for kind in wanted] if asks else None

    def _should_continue_as_new(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._events_this_run >= EVENTS_PER_RUN
        )

    def _carry_over(self) -> ContractInput:
        return self._input.model_copy(
            update={
                "carried": self._state,
                "written_seq": self._written_seq,
                "poll_wait": self._poll_wait,
            }
        )

    def _ui_url(self) -> str | None:
        base = self._input.config.temporal_ui_url
        if not base:
            return None
        info = workflow.info()
        workflow_id = quote(info.workflow_id, safe="")
        return f"{base.rstrip('/')}/namespaces/{quote(info.namespace)}/workflows/{workflow_id}"
