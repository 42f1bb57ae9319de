"""smtp-console: set up, rehearse and diagnose an outgoing SMTP delivery channel."""
