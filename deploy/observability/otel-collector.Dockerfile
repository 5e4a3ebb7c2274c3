# The OpenTelemetry Collector (contrib) with a way to probe it: its image is distroless (no shell, no HTTP client), so a
# compose healthcheck has nothing to run. A statically linked busybox (the musl build needs no library) brings wget,
# which asks the collector's health_check extension (otel-collector.yaml) whether it is up.
FROM busybox:1.37.0-musl AS probe

FROM otel/opentelemetry-collector-contrib:0.116.1
COPY --from=probe /bin/busybox /usr/local/bin/busybox
USER 10001
