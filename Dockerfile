# accord: one image for every instance.
#
#   docker build -t accord .
#   docker run -p 8000:8000 -e ACCORD_DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/DB accord
#
# ACCORD_DATABASE_URL is required: the container refuses to start without it, rather than fall back
# to a SQLite file inside the container. compose.yaml runs two instances on PostgreSQL and Redis;
# docs/operations.md is the runbook. tests/test_deployment_files.py checks this file against the CLI
# and the settings.

# --- builder: accord and its dependencies, installed into a virtual environment ---------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv

WORKDIR /build
# The dependencies first, exactly as locked (versions and hashes, requirements.txt), in a layer of
# their own that a change to the code does not rebuild.
COPY requirements.txt ./
RUN /opt/venv/bin/pip install --require-hashes -r requirements.txt
# What the wheel is built from: the package, the fixtures (packed as accord/bundled_fixtures) and
# the README that the project metadata names. --no-deps: nothing beyond the lock gets in.
COPY pyproject.toml README.md ./
COPY src ./src
COPY fixtures ./fixtures
RUN /opt/venv/bin/pip install --no-deps .

# --- runtime: the virtual environment and nothing else -----------------------------------------------
FROM python:3.11-slim AS runtime

# A system user with a fixed numeric id (orchestrators can then check "runs as non-root"), and /data
# for the one-container SQLite set-up and for export files.
RUN groupadd --system --gid 10001 accord \
 && useradd --system --uid 10001 --gid accord --no-create-home --home-dir /data \
      --shell /usr/sbin/nologin accord \
 && mkdir /data \
 && chown accord:accord /data

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ACCORD_ENV=production \
    WORKERS=2

WORKDIR /data
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM

# /healthz: the process answers. (Load balancers should use /readyz: database reachable and migrated.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

# Migrate (instances starting together take turns through a PostgreSQL advisory lock), then serve.
# `exec` makes accord the process that receives SIGTERM. CMD rather than ENTRYPOINT, so that
# `docker run IMAGE accord token create --name NAME` runs a one-off command instead.
CMD ["sh", "-c", ": \"${ACCORD_DATABASE_URL:?is required, for example postgresql://USER:PASSWORD@HOST:5432/DB}\" && accord db upgrade && exec accord serve --host 0.0.0.0 --port 8000 --workers ${WORKERS:-2}"]
