"""OAuth 2.0 sign-in for a channel: presets, settings, token store, flows and SASL."""
