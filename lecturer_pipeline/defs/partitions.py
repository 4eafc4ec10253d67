"""One dynamic partition per lecture, keyed by lecture ID (``<course>--<lecture>``)."""

import dagster as dg

LECTURES = "lectures"
lectures_partitions = dg.DynamicPartitionsDefinition(name=LECTURES)
