# syntax=docker/dockerfile:1
# Deskside's container image: `make image` builds it where a Docker builder answers;
# docs/deploy.md (Container) says how to run it, compose.yaml runs it with PostgreSQL.
#
# Two stages: uv installs the locked dependencies and Deskside itself (no dev or bench groups)
# into /app/.venv; the final image holds that environment and nothing to build with. It runs as
# an unprivileged user, and needs nothing writable but the data volume and /tmp (the container
# may run with a read-only root file system).

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
# The dependencies first, in a layer of their own that changes only with uv.lock.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-group bench --no-install-project --python /usr/local/bin/python3
COPY deskside ./deskside
RUN uv sync --frozen --no-dev --no-group bench --no-editable --python /usr/local/bin/python3

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 deskside \
 && useradd --system --uid 10001 --gid deskside --home-dir /data --no-create-home deskside \
 && mkdir /data /backups && chown deskside:deskside /data /backups
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DESKSIDE_DATA_DIR=/data \
    DESKSIDE_HTTP=0.0.0.0:8000 \
    DESKSIDE_SMTPD=0.0.0.0:2525
USER deskside
WORKDIR /data
VOLUME ["/data", "/backups"]
EXPOSE 8000 2525
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# `deskside run` stops every part on SIGTERM (docker stop) and exits non-zero when one dies.
ENTRYPOINT ["deskside"]
CMD ["run"]
