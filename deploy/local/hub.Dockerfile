# The hub's runtime image for a machine that cannot pull images: the same binaries as the official images
# (deploy/build-binaries.sh), on only what they need from Debian bookworm — the shared libraries `ldd` names,
# CA certificates and a non-root user (65532) — like gcr.io/distroless/cc-debian12:nonroot. No shell, no
# package manager. Built by deploy/local/build-images.sh (context: target/images).
ARG BASE=fulfillment-hub/debian:bookworm-minbase
FROM ${BASE} AS libs
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY bin/ /bins/
# Versions are those of the bookworm mirror the base was made from (pinning them would break when it moves on).
# hadolint ignore=DL3008
RUN set -eu; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null; \
    mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/home/nonroot; \
    for f in $(ldd /bins/* | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u); do \
      cp -L --parents "$f" /rootfs/; \
    done; \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    echo 'root:x:0:0:root:/root:/sbin/nologin' > /rootfs/etc/passwd; \
    echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >> /rootfs/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' > /rootfs/etc/group; \
    chmod 1777 /rootfs/tmp; chown 65532:65532 /rootfs/home/nonroot

FROM scratch
LABEL org.opencontainers.image.title="fulfillment-hub (local runtime)" \
      org.opencontainers.image.description="hub-api, hub-worker, hub and prestashop-sim on Debian bookworm's libraries" \
      org.opencontainers.image.licenses="LicenseRef-Commercial"
COPY --from=libs /rootfs/ /
COPY bin/ /usr/local/bin/
WORKDIR /home/nonroot
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENV HUB_LOG__FORMAT=json
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/hub"]
