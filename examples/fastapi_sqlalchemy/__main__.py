"""``python -m examples.fastapi_sqlalchemy``: serve the example on ``HOST``:``PORT``
(default 127.0.0.1:8000), its ``users`` table in ``DATABASE_URL`` (default ``example.db`` in the
current directory)."""

from __future__ import annotations

import os

import uvicorn

from examples.fastapi_sqlalchemy.app import create_app


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    print(f"Acme: http://{host}:{port}/dashboard  (codes at http://{host}:{port}/auth/dev/outbox)")
    uvicorn.run(create_app(), host=host, port=port)


if __name__ == "__main__":
    main()
