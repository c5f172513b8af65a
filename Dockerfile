# syntax=docker/dockerfile:1
#
# Kindling image: the `kindling` CLI, which runs an executor (the default command, what the
# k8s/ StatefulSet runs) or a driver (`kindling submit …`, what a cluster-mode driver Job runs).
#
#   docker build -t kindling:dev .
#   docker run --rm kindling:dev --help
#   docker run --rm -e KINDLING_MASTER=nats://host:4222 kindling:dev            # an executor
#
# Not built on the machine this file was written on (it has no Docker engine): see
# docs/kubernetes.md, "What was validated here, and how".

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, compile, then drop dev dependencies ------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src

# Manifests first, so the npm ci layer is reused until a package.json or the lockfile changes.
COPY package.json package-lock.json lerna.json tsconfig.json tsconfig.base.json .taprc ./
COPY shared/package.json shared/
COPY executor/package.json executor/
COPY coordinator/package.json coordinator/
COPY cli/package.json cli/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund

COPY shared shared
COPY executor executor
COPY coordinator coordinator
COPY cli cli
COPY test test
COPY examples examples
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Assemble /app with the same layout (node_modules/@kindling/* are symlinks to ../../<pkg>):
# production node_modules, each shipped package's package.json + compiled dist/src, examples.
RUN mkdir -p /app \
 && cp -a package.json node_modules examples /app/ \
 && for p in shared executor coordinator cli; do \
      mkdir -p /app/$p/dist \
      && cp -a $p/package.json /app/$p/ \
      && cp -a $p/dist/src /app/$p/dist/src \
      && if [ -d $p/node_modules ]; then cp -a $p/node_modules /app/$p/; fi; \
    done \
 && rm -f /app/node_modules/@kindling/test

# ---- runtime: node + tini + the app, running as uid 10001 ---------------------------------
FROM ${NODE_IMAGE}

# tini is PID 1: it forwards SIGTERM to node (the executor drains on it) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 kindling \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/kindling --create-home --shell /usr/sbin/nologin kindling

ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the app user: the code cannot be changed at run time.
COPY --from=build /app /app

USER 10001:10001
# /healthz, /readyz and /metrics of an executor (KINDLING_HEALTH_PORT).
EXPOSE 4041
ENTRYPOINT ["tini", "--", "node", "/app/cli/dist/src/main.js"]
CMD ["executor"]
