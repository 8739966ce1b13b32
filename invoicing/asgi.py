"""Import target for ASGI servers: ``uvicorn invoicing.asgi:app``."""

from invoicing.main import create_app

app = create_app()
