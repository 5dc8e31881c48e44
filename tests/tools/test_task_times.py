"""The worker's workflow-task times, read from the SDK's Prometheus exposition."""

from tools.bench.task_times import TaskTimes, mean_task_times, parse_task_times

LABELS = 'namespace="default",service_name="temporal-core-sdk",task_queue="contracts"'
COMPLETED = 'namespace="default",operation="RespondWorkflowTaskCompleted"'
QUERIED = 'namespace="default",operation="RespondQueryTaskCompleted"'
EXPOSITION = f"""# HELP temporal_request_latency Histogram of client request latencies
# TYPE temporal_request_latency histogram
temporal_request_latency_bucket{{{COMPLETED},le="50"}} 100
temporal_request_latency_sum{{{QUERIED}}} 14
temporal_request_latency_count{{{QUERIED}}} 3
temporal_request_latency_sum{{{COMPLETED}}} 16000
temporal_request_latency_count{{{COMPLETED}}} 250
# HELP temporal_workflow_task_execution_latency Histogram of workflow task execution latencies
# TYPE temporal_workflow_task_execution_latency histogram
temporal_workflow_task_execution_latency_sum{{{LABELS},workflow_type="ContractLifecycle"}} 30000
temporal_workflow_task_execution_latency_count{{{LABELS},workflow_type="ContractLifecycle"}} 240
temporal_workflow_task_execution_latency_sum{{{LABELS},workflow_type="EventDelivery"}} 1000
temporal_workflow_task_execution_latency_count{{{LABELS},workflow_type="EventDelivery"}} 10
# HELP temporal_workflow_task_schedule_to_start_latency Histogram of schedule-to-start latencies
# TYPE temporal_workflow_task_schedule_to_start_latency histogram
temporal_workflow_task_schedule_to_start_latency_sum{{{LABELS}}} 50000
temporal_workflow_task_schedule_to_start_latency_count{{{LABELS}}} 200
"""


def test_means_over_every_task_and_only_completions_count_as_accepting() -> None:
    times = parse_task_times(EXPOSITION)

    assert times == TaskTimes(tasks=250, waited=250.0, worked=124.0, accepted=64.0)


def test_a_worker_that_ran_no_workflow_task_reports_nothing() -> None:
    gauge_only = "# HELP temporal_num_pollers x\n# TYPE temporal_num_pollers gauge\n"

    assert parse_task_times(gauge_only) is None


def test_runs_weigh_the_same_and_unmeasured_runs_are_left_out() -> None:
    one = TaskTimes(tasks=100, waited=100.0, worked=50.0, accepted=10.0)
    two = TaskTimes(tasks=300, waited=300.0, worked=150.0, accepted=30.0)

    assert mean_task_times([one, None, two]) == TaskTimes(400, 200.0, 100.0, 20.0)
    assert mean_task_times([None]) is None
