"""The HTTP edge: FastAPI app, thin routers, HTTP schemas and problem+json errors."""
