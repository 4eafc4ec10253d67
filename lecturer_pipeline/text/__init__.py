"""Lecture text: validating scripts and splitting them into speakable chunks."""
