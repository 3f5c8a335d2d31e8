"""``python -m otp_flow serve ...`` is ``otp-flow serve ...``."""

from otp_flow.cli import main

raise SystemExit(main())
