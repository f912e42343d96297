# The crimegraph API and CLI, for docker-compose.yml (Neo4j in production).

# The /explore page's graph library, from npm (nothing is fetched from a CDN at run time).
FROM node:20-slim AS explore
WORKDIR /explore
COPY tools/explore/package.json tools/explore/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# followthemoney needs PyICU, which PyPI ships as source only: it compiles against ICU.
# Pictures are drawn with DejaVu Sans.
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ pkg-config libicu-dev fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY . /app
COPY --from=explore /explore/node_modules /app/tools/explore/node_modules
# Editable, like a clone: the cypher/ and seed/ folders are read from /app at run time.
RUN pip install --no-cache-dir -e . \
 && useradd --system --uid 10001 crimegraph
USER crimegraph
EXPOSE 8000
CMD ["crimegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
