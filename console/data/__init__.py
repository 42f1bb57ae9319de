"""Package data: the guide, the FAQ and the diagnosis catalogue."""
