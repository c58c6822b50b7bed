# The API server's image: `docker compose up` (compose.yaml) builds and runs it.
# The build stage installs the project into a virtual environment (pinned by uv.lock when the
# project has one, else from pyproject.toml); the runtime stage is that environment on a clean
# slim Python, run as a user of its own, with no compilers and no package tools beyond pip's.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_LINK_MODE=copy
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md LICENSE uv.lock* ./
COPY bus/ bus/
COPY config/ config/
COPY db/ db/
COPY domain/ domain/
COPY graph/ graph/
COPY messaging/ messaging/
COPY storage/ storage/
COPY workcloud/ workcloud/
RUN if [ -f uv.lock ]; then \
        python -m pip install uv==0.13.8 \
        && uv sync --frozen --no-dev --no-editable --compile-bytecode; \
    else \
        /opt/venv/bin/pip install .; \
    fi

FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WORKCLOUD_DATABASE_URL=sqlite+aiosqlite:////var/lib/workcloud/workcloud.db \
    WORKCLOUD_STORAGE_URL=file:///var/lib/workcloud/attachments
# The attachments directory exists in the image, owned by the server's user, so that a volume
# mounted there starts out writable by it.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /var/lib/workcloud \
        --shell /usr/sbin/nologin workcloud \
    && install -d -o workcloud -g workcloud /var/lib/workcloud /var/lib/workcloud/attachments
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /var/lib/workcloud

EXPOSE 8000
# /health answers 503 while the database or the broadcast is down: urlopen raises, exit 1.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
# Inside the container the server listens on every interface; SIGTERM (docker stop) lets
# requests in flight finish and closes WebSockets with 1012 so that clients reconnect.
ENTRYPOINT ["workcloud"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
