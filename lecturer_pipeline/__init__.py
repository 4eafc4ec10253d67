"""lecturer_pipeline: a lecturer's script, reference voice and portrait become a talking-head lecture video."""
