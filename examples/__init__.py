"""Example applications that use otp_flow (each one a package: ``python -m examples.<name>``)."""
