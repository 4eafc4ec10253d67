"""Media handling: probing, audio/image/video conversion; paths in, paths out, never whole files in memory."""
