#!/usr/bin/env bash
# Asks the running compose stack for one backup now: publishes a BackupRequested event
# (Backup.Contracts) through the RabbitMQ management API on 127.0.0.1:15672, in MassTransit's
# JSON envelope, exactly as the scheduler would at a cron occurrence.
#
#   ./deploy/compose/request-backup.sh            # source "demo"
#   ./deploy/compose/request-backup.sh demo
#
# Prints the run id; follow the run in the trace UI and in Mailpit. Needs curl.
set -euo pipefail

source_name="${1:-demo}"
if [[ ! "$source_name" =~ ^[a-z0-9_-]+$ ]]; then
    echo "a source name is lower-case letters, digits, '-' and '_': $source_name" >&2
    exit 2
fi

secrets_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
management_url="${RABBITMQ_MANAGEMENT_URL:-http://127.0.0.1:15672}"
if [[ ! -r "$secrets_dir/rabbitmq_admin_password" ]]; then
    echo "can't read $secrets_dir/rabbitmq_admin_password: run deploy/compose/init-secrets.sh and start the stack first (made by root: run this with sudo)" >&2
    exit 1
fi

new_uuid() {
    if [[ -r /proc/sys/kernel/random/uuid ]]; then
        cat /proc/sys/kernel/random/uuid
    else
        uuidgen | tr '[:upper:]' '[:lower:]'
    fi
}
run_id="$(new_uuid)"
message_id="$(new_uuid)"
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# The envelope MassTransit's JSON serializer reads (content type application/vnd.masstransit+json).
envelope="{\"messageId\":\"$message_id\",\"messageType\":[\"urn:message:Backup.Contracts:BackupRequested\"],\"sentTime\":\"$now\",\"message\":{\"runId\":\"$run_id\",\"source\":\"$source_name\",\"requestedAt\":\"$now\",\"requestedBy\":\"request-backup.sh\"},\"headers\":{}}"
escaped_envelope="${envelope//\\/\\\\}"
escaped_envelope="${escaped_envelope//\"/\\\"}"
body="{\"properties\":{\"content_type\":\"application/vnd.masstransit+json\",\"delivery_mode\":2,\"message_id\":\"$message_id\"},\"routing_key\":\"\",\"payload\":\"$escaped_envelope\",\"payload_encoding\":\"string\"}"

# The password goes to curl in a config file descriptor, never on its command line.
if ! response="$(printf '%s' "$body" | curl -sS --fail-with-body \
    --config <(printf 'user = "backup-admin:%s"\n' "$(cat "$secrets_dir/rabbitmq_admin_password")") \
    -H 'content-type: application/json' --data-binary @- \
    "$management_url/api/exchanges/%2F/Backup.Contracts%3ABackupRequested/publish")"; then
    echo "could not publish to $management_url: ${response:-no answer}" >&2
    echo "Is the stack up? The exchange exists once the catalog or the dumper has started." >&2
    exit 1
fi

if [[ "$response" != *'"routed":true'* ]]; then
    echo "published, but nothing is bound to the exchange yet (are the catalog and dumper up?): $response" >&2
    exit 1
fi
echo "requested backup of '$source_name': run $run_id"
