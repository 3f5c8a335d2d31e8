"""The otp_flow demo: a tiny site with sign-in pages, a protected page and the JSON APIs.

pip install -e . && python -m demo_app        # then open http://127.0.0.1:8000
"""

from demo_app.app import create_demo_app

__all__ = ["create_demo_app"]
