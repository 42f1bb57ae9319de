"""The simulated sign-in service: Microsoft identity platform and Google OAuth.

Importing this package imports nothing heavy: aiohttp is loaded only by signin.app.
"""
