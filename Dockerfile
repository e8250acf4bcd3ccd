# syntax=docker/dockerfile:1
# order-service: build a wheel, then run it as an unprivileged user.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ORDER_SERVICE_DATABASE_URL=sqlite:////data/order-service.db
COPY --from=build /dist/*.whl /tmp/
RUN python -m pip install --no-cache-dir /tmp/*.whl \
    && rm /tmp/*.whl \
    && useradd --create-home --uid 10001 shop \
    && mkdir /data && chown shop /data
USER shop
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2)"
# serve migrates the database to head before it listens. Give it
# ORDER_SERVICE_CURSOR_SECRET (docker run -e ...): it refuses the published placeholder on
# any database but the default sqlite:///order-service.db, naming the variable.
CMD ["order-service", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
