"""Operations around the pipeline: intake of uploads, pruning and retention, backfills."""
