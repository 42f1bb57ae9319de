"""The smtp_simulator pytest fixture for other projects' test suites (being built)."""
