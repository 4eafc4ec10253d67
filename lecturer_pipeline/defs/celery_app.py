"""The Celery app a lecturer worker runs: ``dagster-celery worker start -A lecturer_pipeline.defs.celery_app``.

It is dagster-celery's app (``make_app``) with its three tasks, and two things of this project's:

- a worker is always in distributed mode, so it refuses to start — naming every missing variable — without S3, a
  PostgreSQL catalog and ``LECTURER_MASTER_KEYS``, instead of running steps on a local store, SQLite or a key it
  minted itself. The mode is also put in the environment, which the task processes inherit, so each step's code
  location refuses the same way;
- the step task is dagster-celery 0.29.27's ``execute_plan`` (``dagster_celery/tasks.py``, ``create_task``) line for
  line, except for the Dagster instance. dagster-celery opens a new one for every step and never closes it, so a
  long-lived worker kept every step's PostgreSQL connections open until the server refused new clients; opening
  one per step and closing it cost every step its storages' connections and schema checks and the compute-log
  manager's S3 client again (about a second on a loaded 2-core machine, on steps whose own work is often less).
  Each task process keeps one instance per instance reference instead, for all the steps it runs, and closes it
  when the process exits.
"""

import atexit
import os

from lecturer_pipeline.deployment import DEPLOYMENT_VARIABLE, check_deployment
from lecturer_pipeline.settings import Settings

os.environ[DEPLOYMENT_VARIABLE] = "distributed"
check_deployment(Settings(), distributed=True)

# dagster-celery's own imports for the task below (private Dagster APIs, as in dagster_celery/tasks.py).
import dagster._check as check  # noqa: E402
from dagster import DagsterInstance  # noqa: E402
from dagster._core.definitions.reconstruct import ReconstructableJob  # noqa: E402
from dagster._core.events import EngineEventData  # noqa: E402
from dagster._core.execution.api import create_execution_plan, execute_plan_iterator  # noqa: E402
from dagster._core.instance.ref import InstanceRef  # noqa: E402
from dagster._grpc.types import ExecuteStepArgs  # noqa: E402
from dagster._serdes import serialize_value, unpack_value  # noqa: E402
from dagster_celery.config import TASK_EXECUTE_PLAN_NAME  # noqa: E402
from dagster_celery.core_execution_loop import DELEGATE_MARKER  # noqa: E402
from dagster_celery.executor import CeleryExecutor  # noqa: E402
from dagster_celery.make_app import make_app  # noqa: E402
from dagster_celery.tasks import create_execute_job_task, create_resume_job_task  # noqa: E402

app = make_app()

#: The task process's Dagster instances, by their serialised reference (one per Dagster deployment it serves).
_instances: dict[str, DagsterInstance] = {}


def _instance(ref: InstanceRef) -> DagsterInstance:
    """The process's instance for ``ref``, opened at its first step; a Celery task process runs one step at a time."""
    key = serialize_value(ref)
    if key not in _instances:
        _instances[key] = DagsterInstance.from_ref(ref)
    return _instances[key]


@atexit.register
def _close_instances() -> None:
    while _instances:
        _instances.popitem()[1].dispose()


@app.task(bind=True, name=TASK_EXECUTE_PLAN_NAME)
def execute_plan(self, execute_step_args_packed, executable_dict):
    """Run one step of a run; returns its serialised events (dagster-celery's task, on the process's instance)."""
    execute_step_args = unpack_value(
        check.dict_param(execute_step_args_packed, "execute_step_args_packed"), as_type=ExecuteStepArgs
    )
    check.dict_param(executable_dict, "executable_dict")
    instance = _instance(check.not_none(execute_step_args.instance_ref))
    recon_job = ReconstructableJob.from_dict(executable_dict)
    dagster_run = instance.get_run_by_id(execute_step_args.run_id)
    check.invariant(dagster_run, f"Could not load run {execute_step_args.run_id}")
    step_keys_str = ", ".join(execute_step_args.step_keys_to_execute or [])
    execution_plan = create_execution_plan(
        recon_job,
        dagster_run.run_config,
        step_keys_to_execute=execute_step_args.step_keys_to_execute,
        known_state=execute_step_args.known_state,
    )
    engine_event = instance.report_engine_event(
        f"Executing steps {step_keys_str} in celery worker",
        dagster_run,
        EngineEventData(
            {"step_keys": step_keys_str, "Celery worker": self.request.hostname}, marker_end=DELEGATE_MARKER
        ),
        CeleryExecutor,
        step_key=execution_plan.step_handle_for_single_step_plans().to_key(),
    )
    events = [engine_event]
    for step_event in execute_plan_iterator(
        execution_plan=execution_plan,
        job=recon_job,
        dagster_run=dagster_run,
        instance=instance,
        retry_mode=execute_step_args.retry_mode,
        run_config=dagster_run.run_config,
    ):
        events.append(step_event)
    return [serialize_value(event) for event in events]


execute_job = create_execute_job_task(app)
resume_job = create_resume_job_task(app)
