"""Speech and video engines that run inside the pipeline process, without any remote service."""
