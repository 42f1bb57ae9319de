"""The Textual console: a thin layer over the same functions the command line uses."""
