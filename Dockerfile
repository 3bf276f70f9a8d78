# The server's image: `docker compose up` builds it (docker-compose.yml runs it against
# PostgreSQL); `docker build -t d2l-groups .` alone gives one that serves SQLite from its volume.
#
# The build stage copies exactly what `cargo build` reads. Cargo.toml names benchmarks and a
# test target, and Cargo refuses a manifest whose targets are missing, so benches/ and tests/
# come too although only the binary is built. `.ci/docker-context` builds from exactly the
# files these COPY lines name, so a missing one fails CI without a Docker engine.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock diesel.toml ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
COPY tests ./tests
RUN cargo build --release --locked --bin d2l-groups

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/d2l-groups --create-home d2l
COPY --from=build /src/target/release/d2l-groups /usr/local/bin/d2l-groups
USER d2l
WORKDIR /var/lib/d2l-groups
# The SQLite database and the ID-key secret live in the volume; DATABASE_URL=postgres://...
# (as docker-compose.yml sets it) uses PostgreSQL instead.
ENV BIND_ADDRESS=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/d2l-groups/d2l-groups.db \
    SECRET_KEY_FILE=/var/lib/d2l-groups/d2l-groups.secret
VOLUME ["/var/lib/d2l-groups"]
EXPOSE 8080
# `healthcheck` asks this container's own server for /healthz (plain HTTP, on BIND_ADDRESS's
# port): no curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["d2l-groups", "healthcheck"]
ENTRYPOINT ["d2l-groups"]
CMD ["serve"]
