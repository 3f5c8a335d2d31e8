"""``python -m otp_flow serve ...`` is ``otp-flow serve ...``."""

from otp_flow._cli import main

raise SystemExit(main())
