"""The Celery app a lecturer worker runs: ``dagster-celery worker start -A lecturer_pipeline.defs.celery_app``.

It is dagster-celery's own app and tasks (``dagster_celery.app``), after one thing of this project's: a worker is
always in distributed mode, so it refuses to start — naming every missing variable — without S3, a PostgreSQL
catalog and ``LECTURER_MASTER_KEYS``, instead of running steps on a local store, SQLite or a key it minted itself.
The mode is also put in the environment, which the worker's task processes inherit, so each step's code location
refuses the same way.
"""

import os

from lecturer_pipeline.deployment import DEPLOYMENT_VARIABLE, check_deployment
from lecturer_pipeline.settings import Settings

os.environ[DEPLOYMENT_VARIABLE] = "distributed"
check_deployment(Settings(), distributed=True)

from dagster_celery.app import app, execute_job, execute_plan, resume_job  # noqa: E402

__all__ = ["app", "execute_job", "execute_plan", "resume_job"]
