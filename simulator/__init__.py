"""A provider-faithful SMTP server for rehearsing delivery channels offline."""
