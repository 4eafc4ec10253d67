"""Protection of voice data: envelope encryption of what the pipeline keeps of a speaker's voice."""
