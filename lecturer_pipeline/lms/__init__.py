"""LMS export: a lecture as a SCORM 1.2 package (manifest, offline HTML5 player, video, captions, transcript)."""
