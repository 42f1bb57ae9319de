"""The exit codes of the command-line contract."""

OK = 0
REFUSED = 1  # the server refused or failed, or validation found problems
BAD_INPUT = 2  # bad input or configuration
INTERRUPTED = 130  # ctrl+c (128 + SIGINT)


class UsageError(Exception):
    """Bad input or configuration: printed as is, exit code 2 (BAD_INPUT)."""
