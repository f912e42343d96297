# syntax=docker/dockerfile:1
# The crimegraph API and CLI, for docker-compose.yml (Neo4j in production; docs/deploy.md).
# Three stages: npm's graph library, a builder that makes every wheel (with the compiler PyICU
# needs), and the runtime, which installs those wheels: no compiler, no source tree, no
# editable install, not root.

# The /explore page's graph library, from npm (nothing is fetched from a CDN at run time):
# npm ci copies its bundle into api/static/explore/vendor/ (tools/explore/copy-vendor.mjs).
FROM node:20-slim AS explore
WORKDIR /src/tools/explore
COPY tools/explore/package.json tools/explore/package-lock.json tools/explore/copy-vendor.mjs ./
RUN npm ci --no-audit --no-fund

# Wheels of crimegraph and of every dependency. followthemoney needs PyICU, which PyPI ships as
# source only: it compiles against ICU here, once.
FROM python:3.11-slim-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ pkg-config libicu-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
COPY --from=explore /src/api/static/explore/vendor/ api/static/explore/vendor/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# The runtime: ICU's shared library for PyICU (the same Debian release as the builder), DejaVu
# Sans for the pictures, and a system user whose data dir (audit log, bootstrap key) is a
# volume; a fresh named volume takes this directory's owner and mode.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CRIMEGRAPH_DATA_DIR=/var/lib/crimegraph
RUN apt-get update \
 && apt-get install -y --no-install-recommends libicu72 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/crimegraph --no-create-home crimegraph \
 && install -d -o crimegraph -g crimegraph -m 0700 /var/lib/crimegraph
# The wheels are mounted from the builder, not copied: they stay out of the image's layers.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels crimegraph
USER crimegraph
WORKDIR /var/lib/crimegraph
VOLUME ["/var/lib/crimegraph"]
EXPOSE 8000
CMD ["crimegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
