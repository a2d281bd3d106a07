# syntax=docker/dockerfile:1.7
# hub-worker: the queue workers, the inbox sweeper and scheduled reconciliation. Its HTTP port serves only
# /health, /ready and /metrics.
# Build from the repository root:  docker build -f deploy/hub-worker.Dockerfile -t fulfillment-hub/hub-worker .
#
# The builder stage is the same, line for line, as the one in hub-api.Dockerfile (deploy/validate.sh
# checks it), so the second image reuses the first one's build cache instead of compiling again. Both
# images carry the three binaries: `hub` runs the HEALTHCHECK (`hub healthcheck <url>`, so no curl is
# needed) and the admin commands (`hub migrate`, `hub jobs …`).

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY bins ./bins
COPY migrations ./migrations
# A workspace member: cargo reads its manifest; nothing of it is built here.
COPY tests/chaos ./tests/chaos
# The one recipe for the binaries, shared with the images built from Debian's packages (deploy/local/).
COPY deploy/build-binaries.sh ./deploy/build-binaries.sh
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    deploy/build-binaries.sh /out hub-api hub-worker hub

# glibc, libgcc, CA certificates and a non-root user (65532); no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
LABEL org.opencontainers.image.title="fulfillment-hub hub-worker" \
      org.opencontainers.image.description="Fulfillment Hub queue workers, inbox sweeper and reconciliation" \
      org.opencontainers.image.licenses="LicenseRef-Commercial"
COPY --from=builder /out/ /usr/local/bin/
WORKDIR /home/nonroot
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENV HUB_WORKER__LISTEN=0.0.0.0:9090 \
    HUB_LOG__FORMAT=json
EXPOSE 9090
# On SIGTERM the worker takes no new job and lets its in-flight jobs finish (up to ~30 s) or hands them
# back to the queue: give it a stop timeout of 60 s (compose stop_grace_period, Kubernetes
# terminationGracePeriodSeconds), not Docker's default 10 s.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/hub", "healthcheck", "http://127.0.0.1:9090/health"]
CMD ["/usr/local/bin/hub-worker"]
