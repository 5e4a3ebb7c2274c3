#!/bin/sh
# Runs once in the minio-bucket container (image minio/mc), with minio's root keys: the only use of them.
#   1. the bucket "backups", versioned, so a deleted or overwritten artifact stays recoverable for
#      BACKUP_S3_KEEP_DELETED_DAYS days (7 by default) whatever a service's keys did: no service may delete versions;
#   2. one policy per service (deploy/compose/minio/policies/backup-<service>.json) and one user per service with
#      only that policy: the keys the service gets as its secrets Storage__S3__AccessKey / Storage__S3__SecretKey.
# Running it again changes nothing. The root keys reach mc through MC_HOST_local, built here from the secret files;
# each service's secret key reaches mc on its standard input, never on a command line.
set -eu

MC_HOST_local="http://$(cat /run/secrets/minio_access_key):$(cat /run/secrets/minio_secret_key)@minio:9000"
export MC_HOST_local

mc mb --ignore-existing local/backups
mc version enable local/backups
if ! mc ilm rule ls local/backups >/dev/null 2>&1; then
    mc ilm rule add --noncurrent-expire-days "${BACKUP_S3_KEEP_DELETED_DAYS:-7}" local/backups
fi

for service in dumper notifier retention restorer api; do
    user="$(cat "/run/secrets/s3_${service}_access_key")"
    mc admin policy create local "backup-$service" "/opt/backup/minio/policies/backup-$service.json"
    mc admin user add local "$user" <"/run/secrets/s3_${service}_secret_key"
    mc admin policy attach local "backup-$service" --user "$user"
done
