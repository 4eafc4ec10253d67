"""The pipeline's stages as plain functions over the store, the catalog and the engines (no Dagster here).

Each stage decides first whether its stored artefact is still valid for its inputs (same input hash, object present)
and only then does work; that is what makes re-materialising an unchanged lecture cheap and retries free of re-spend.
"""
