# Pushy server image: Debian 12, two stages. Provided for users with Docker; it is not built
# in this project's CI (no container engine there): scripts/cluster-demo is the tested path.
# No secret is baked in: AUTH_SECRET_KEY, PUBLISHER_CLIENT_ID, PUBLISHER_CLIENT_SECRET and
# REDIS_URL are given at run time (docker run -e ..., docker-compose.yml, your orchestrator).
#
#   docker build -t pushy .
#   docker run -p 4000:4000 -e AUTH_SECRET_KEY=... -e PUBLISHER_CLIENT_ID=... \
#     -e PUBLISHER_CLIENT_SECRET=... [-e REDIS_URL=redis://:password@redis:6379] pushy

# ---- build: the release preset, tests and benchmarks off --------------------------------------
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev \
      libssl-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release -DPUSHY_BUILD_TESTS=OFF -DPUSHY_BUILD_BENCH=OFF -DPUSHY_FUZZ=OFF \
 && cmake --build --preset release --target pushy \
 && strip --strip-debug -o /pushy build/release/src/server/pushy

# ---- runtime: the shared libraries the binary links and nothing else ---------------------------
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 libssl3 libhiredis0.14 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin pushy
COPY --from=build /pushy /usr/local/bin/pushy
USER pushy
# HOST defaults to 0.0.0.0 and PORT to 4000; every setting: `docker run --rm pushy --help`.
EXPOSE 4000
# SIGTERM drains streams over SHUTDOWN_TIMEOUT (10 s): give `docker stop -t` at least that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/pushy"]
