"""The service tests' kit: real Redis and gunicorn processes, an OpenAPI-checking client, load."""
