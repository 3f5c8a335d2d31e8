"""A FastAPI + SQLAlchemy site that adds otp_flow to its own ``users`` table (see README.md).

``python -m examples.fastapi_sqlalchemy`` serves it; ``create_app`` builds it.
"""

from examples.fastapi_sqlalchemy.app import create_app

__all__ = ["create_app"]
