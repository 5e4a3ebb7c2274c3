# syntax=docker/dockerfile:1
# One image recipe for every .NET service of the backup system.
#
#   docker build -f deploy/docker/Service.Dockerfile --build-arg SERVICE=Backup.Dumper \
#     --build-arg APT_PACKAGES="curl postgresql-client-16" .
#
# SERVICE       the project folder under services/ (and its assembly name), e.g. Backup.Catalog
# PROJECT_FOLDER where that folder is: services (the default), or tools for backupctl (Backup.Ctl, assembly
#               backupctl.dll: give the service an entrypoint of its own)
# APT_PACKAGES  Ubuntu packages the runtime needs: curl for the compose healthcheck, and for the
#               dumper and the restorer postgresql-client-16 (pg_dump and pg_restore 16 in
#               /usr/lib/postgresql/16/bin); for both libzstd1 (zstd's C library, which the dumper compresses and
#               the restorer decompresses with).
# The build context is the repository root (see .dockerignore).

ARG DOTNET_VERSION=10.0

# Only the files that decide the restore: project files and the MSBuild files they import (*.props, *.targets).
# This stage sees every source change, but the COPY --from below is cached by content, so the
# restore layer is reused until a .csproj or a props file changes.
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS restore-inputs
WORKDIR /src
COPY . .
RUN mkdir /inputs \
 && find . \( -name '*.csproj' -o -name '*.props' -o -name '*.targets' \
              -o -name 'global.json' -o -iname 'nuget.config' \) -type f \
        -exec cp --parents {} /inputs/ \;

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG SERVICE
ARG PROJECT_FOLDER=services
WORKDIR /src
COPY --from=restore-inputs /inputs/ ./
# Restored as `dotnet publish` evaluates the project (_IsPublishing): the dumper and the restorer publish ReadyToRun
# for this machine's runtime (services/ReadyToRunWhenPublished.props), which needs that runtime's packages here already.
# SelfContained=false: every image runs on the aspnet image's shared runtime, backupctl too (published on its own,
# backupctl is one native executable: tools/Backup.Ctl/Backup.Ctl.csproj).
RUN test -n "${SERVICE}" || { echo "build arg SERVICE is required, e.g. Backup.Dumper" >&2; exit 1; } \
 && dotnet restore "${PROJECT_FOLDER}/${SERVICE}/${SERVICE}.csproj" -p:_IsPublishing=true -p:SelfContained=false
COPY . .
RUN dotnet publish "${PROJECT_FOLDER}/${SERVICE}/${SERVICE}.csproj" \
        --configuration Release --no-restore --output /app -p:UseAppHost=false -p:SelfContained=false

# Ubuntu 24.04 based; the image defines the non-root user "app" (UID $APP_UID = 1654).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
ARG SERVICE
ARG APT_PACKAGES="curl"
RUN apt-get update \
 && apt-get install --yes --no-install-recommends ${APT_PACKAGES} \
 && rm -rf /var/lib/apt/lists/*
# Owned by the app user here so that named volumes mounted on these paths start with that owner.
# The containers' root file systems are read-only (docker-compose.yml): these folders are all they write to.
# keys/public and keys/secret: the administrators' OpenPGP key pair made by the compose step admin-keys.
RUN mkdir -p /var/lib/backup/artifacts /var/lib/backup/mail /var/lib/backup/work /var/lib/backup/keys/public /var/lib/backup/keys/secret /var/lib/backup/session-keys \
 && chown -R "${APP_UID}:${APP_UID}" /var/lib/backup \
 && chmod 0750 /var/lib/backup/artifacts /var/lib/backup/mail /var/lib/backup/work /var/lib/backup/keys/public \
 && chmod 0700 /var/lib/backup/keys/secret /var/lib/backup/session-keys
# MALLOC_ARENA_MAX=2: native threads that come and go (zstd's compression workers, one set per dump) would
# otherwise each get a fresh glibc malloc arena and leave their freed buffers in it: the dumper's peak RSS climbed
# ~8 MB with every backup without it, and stays flat with it at no cost in speed (deploy/bench/README.md).
ENV BACKUP_SERVICE=${SERVICE} \
    ASPNETCORE_HTTP_PORTS=8080 \
    BACKUP_SECRETS_DIR=/run/secrets \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app ./
USER $APP_UID
EXPOSE 8080
# Exec form cannot expand variables, so a fixed sh line does it and then execs dotnet:
# dotnet is PID 1 and receives SIGTERM from `docker stop` directly.
ENTRYPOINT ["/bin/sh", "-c", "exec dotnet \"/app/${BACKUP_SERVICE}.dll\" \"$@\"", "--"]
