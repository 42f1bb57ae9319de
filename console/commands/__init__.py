"""One module per top-level command; each offers `register(subparsers)`."""
