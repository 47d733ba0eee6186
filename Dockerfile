# syntax=docker/dockerfile:1
# genesys-relay container image. Build from the repository root:
#   docker build -t genesys-relay .
# Run (the config and the client secret are mounted as files; the outbox lives in the volume):
#   docker run -v relay-state:/var/lib/genesys-relay -v ./relay.yaml:/etc/genesys-relay/relay.yaml:ro \
#     -v ./secrets/genesys-client-secret:/run/secrets/genesys-client-secret:ro -e GENESYS_CLIENT_ID=… \
#     -p 9464:9464 genesys-relay
# See README.md "Deployment" and deploy/ for compose, Kubernetes and systemd.

# Node 20 reached end of life in April 2026; 24 is the active LTS (the test suite runs on 20, 22 and 24).
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compiles dist/ and the native better-sqlite3 addon, then drops the dev dependencies ---
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
RUN npm run build && npm prune --omit=dev

# --- runtime: node, the compiled relay and its production dependencies; no compiler, no npm in the path of a signal ---
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
  GENESYS_RELAY_METRICS_HOST=0.0.0.0 \
  GENESYS_CLIENT_SECRET_FILE=/run/secrets/genesys-client-secret
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY LICENSE README.md ./
RUN mkdir -p /var/lib/genesys-relay /etc/genesys-relay && chown node:node /var/lib/genesys-relay
# The image's unprivileged user (uid 1000); the relay needs no capability.
USER node
# The outbox (SQLite) and the state dir lock: one volume per relay, kept across container replacements.
VOLUME ["/var/lib/genesys-relay"]
EXPOSE 9464
# /livez answers while the process runs; node itself asks, so the image needs no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is pid 1 and receives SIGTERM itself: the relay drains (exit 0) instead of being killed behind npx or a shell.
ENTRYPOINT ["node", "/app/dist/cli/main-entry.js"]
CMD ["run", "--config", "/etc/genesys-relay/relay.yaml", "--state-dir", "/var/lib/genesys-relay", "--metrics-port", "9464", "--drain-timeout", "20s"]
