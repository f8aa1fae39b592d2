# syntax=docker/dockerfile:1
# Descent: one image for both roles. The API is the default command; docker-compose runs the
# worker role from the same image with `npm run start:worker`'s command.
#
#   docker build -t descent .
#   docker run -e REDIS_URL=redis://redis:6379 -p 8080:8080 descent
#
# The base image is pinned by digest: a tag such as node:20.20.2-bookworm-slim is re-pushed whenever
# Debian's packages are rebuilt, so the tag alone does not say what a build ran on; the digest (of the
# multi-architecture index) does, and a changed or poisoned tag cannot slip in. To move it, see
# docs/security.md, "Base image" (docker buildx imagetools inspect ...). test/unit/docker-pins.test.ts
# fails if a FROM here loses its digest.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

# --- 1. production dependencies only, and the optional native kernel tier: npm's install script builds native/build/descent_blas.node
#        against the system OpenBLAS when a compiler and libopenblas-dev are present (they are, here).
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev libopenblas-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-native.cjs ./scripts/build-native.cjs
COPY native/descent_blas.c ./native/descent_blas.c
# --strict: in the image the native tier is not optional; fail the build if it does not compile.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && node scripts/build-native.cjs --strict \
 && npm cache clean --force

# --- 2. compile with the dev toolchain: the service and worker sources must typecheck, and the
#        runtime runs the compiled JavaScript in dist/ (nothing is transpiled at run time) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
# The SBOM (CycloneDX JSON) of the runtime tree: the same lockfile as stage 1's --omit=dev install,
# with dev dependencies omitted; the SBOM tool is a dev dependency, so it runs here, not in stage 1.
RUN npm run sbom
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npx tsc -p tsconfig.build.json

# --- 3. runtime: slim, non-root, no dev dependencies, no build tools; OpenBLAS's runtime library only ---
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    OPENBLAS_NUM_THREADS=1 \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=deps --chown=node:node /app/native/build ./native/build
COPY --from=build --chown=node:node /app/dist ./dist
# What the image ships, for scanners and audits: docker run --rm descent cat /app/sbom.cdx.json
COPY --from=build --chown=node:node /app/sbom.cdx.json ./sbom.cdx.json
# GET /v1/jobs/{id}/model?format=torch embeds python/descent_torch.py in the file it sends.
COPY --chown=node:node python ./python
COPY --chown=node:node package.json ./
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM reaches node directly (exec form), which drains SSE clients and closes cleanly.
CMD ["node", "dist/src/cli/api.js"]
