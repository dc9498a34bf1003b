# syntax=docker/dockerfile:1
# Builds a static feedwatch binary (pure Go: modernc.org/sqlite needs no cgo)
# and runs it as an unprivileged user in a distroless image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
    -ldflags="-s -w -X main.version=${VERSION}" \
    -o /out/feedwatch ./cmd/bot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/feedwatch /usr/local/bin/feedwatch
# The embedded SQLite database lives here; mount a volume to keep it.
WORKDIR /data
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/feedwatch"]
CMD ["run", "-c", "/etc/feedwatch/config.yaml"]
