"""Where the lecture's steps run (``LECTURER_EXECUTOR``), which Celery queue the render steps go to, and the hook
that removes a step's scratch directories when it ends.

- ``in_process`` (embedded default): every step in the run's own process, which saves a process start per step
  (seconds on a small machine); pools still limit each service across runs.
- ``multiprocess``: Dagster's multiprocess executor, a process per step on the run's machine.
- ``celery``: dagster-celery's ``celery_executor``; steps are Celery tasks on the broker
  (``LECTURER_CELERY_BROKER_URL``, RabbitMQ) with results in ``LECTURER_CELERY_BACKEND_URL`` (Redis), run by
  ``dagster-celery worker`` processes on any machine. Render steps carry dagster-celery's queue tag and go to
  ``LECTURER_RENDER_QUEUE``, on the workers beside the GPUs. The run's own process claims each step's pool slot
  before it sends the task, so the pools cap every service across all workers.
"""

from __future__ import annotations

import dagster as dg

from lecturer_pipeline.settings import Settings
from lecturer_pipeline.workdir import release_step_dirs

# dagster_celery.tags.DAGSTER_CELERY_QUEUE_TAG, spelt out so the assets do not import Celery in embedded mode.
CELERY_QUEUE_TAG = "dagster-celery/queue"
DEFAULT_CELERY_QUEUE = "dagster"  # dagster-celery's task_default_queue: every step without the queue tag


def render_op_tags(settings: Settings) -> dict[str, str]:
    """Op tags of the render step (``video_segments``, pool ``kdtalker``): its Celery queue."""
    return {CELERY_QUEUE_TAG: settings.lecturer_render_queue}


def build_executor(settings: Settings) -> dg.ExecutorDefinition:
    """The executor ``LECTURER_EXECUTOR`` names; Celery's URLs are passed as environment references, so the run's
    configuration shows the variables' names, never a broker password."""
    if settings.lecturer_executor == "multiprocess":
        return dg.multiprocess_executor
    if settings.lecturer_executor == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": {"env": "LECTURER_CELERY_BROKER_URL"},
                "backend": {"env": "LECTURER_CELERY_BACKEND_URL"},
            },
            name="lecturer_celery",
        )
    return dg.in_process_executor


def _release(context: dg.HookContext) -> None:
    released = release_step_dirs()
    if released:
        context.log.debug(f"removed {released} scratch directories of step {context.step_key}")


@dg.success_hook(name="release_scratch_on_success")
def _on_success(context: dg.HookContext) -> None:
    _release(context)


@dg.failure_hook(name="release_scratch_on_failure")
def _on_failure(context: dg.HookContext) -> None:
    _release(context)


#: Attached to every lecture asset: a step's scratch directories go when it succeeds or fails. A step that is up for
#: retry fires neither; its directories go when the next step in that process ends (``release_step_dirs`` removes
#: everything the thread made since the last release).
RELEASE_SCRATCH_HOOKS = frozenset({_on_success, _on_failure})
