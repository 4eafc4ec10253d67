"""Dagster glue: partitions, resources, IO managers, assets, jobs. Domain work happens in the modules they call."""
