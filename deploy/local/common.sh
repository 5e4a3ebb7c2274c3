#!/usr/bin/env bash
# Helpers shared by infra.sh, stack.sh and the benchmark (sourced, not run).

random_alnum() { # random_alnum LENGTH
  local s
  s=$(head -c 64 /dev/urandom | base64 -w0 | tr -d '/+=')
  printf '%s' "${s:0:$1}"
}

# Prints COUNT distinct free TCP ports on 127.0.0.1. All sockets are bound at once so the
# kernel hands out distinct ports; perl-base is Essential on Debian, so it is always there.
free_ports() { # free_ports COUNT
  perl -MIO::Socket::INET -e '
    my @s = map { IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
                                        Proto => "tcp", Listen => 1) or die "bind: $!\n" } 1 .. $ARGV[0];
    print join(" ", map { $_->sockport } @s), "\n";' "$1"
}

# True for a live process; a zombie (which an init that does not reap may leave) counts as gone.
pid_alive() {
  local stat
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# The RabbitMQ management API of the running infra (BACKUP_RABBITMQ_MANAGEMENT_PORT), logged in with the user and
# password of a 0600 curl config file (never a command line): rabbitmq_api CURL_CONFIG METHOD PATH [JSON].
# Its answer on stdout, also on an HTTP error (then the status is non-zero).
rabbitmq_api() {
  local url="http://127.0.0.1:$BACKUP_RABBITMQ_MANAGEMENT_PORT/api/$3"
  if (($# == 4)); then
    printf '%s' "$4" | curl -sS --fail-with-body --max-time 10 -K "$1" -X "$2" \
      -H 'content-type: application/json' --data-binary @- "$url"
  else
    curl -sS --fail-with-body --max-time 10 -K "$1" -X "$2" "$url"
  fi
}

# Publishes a Backup.Contracts message as plain JSON, in MassTransit's envelope (as a service in any language would
# send it, see asyncapi.yaml): publish_message CURL_CONFIG TYPE MESSAGE_JSON, e.g. TYPE BackupRequested and
# MESSAGE_JSON '{"runId":"…","source":"demo",…}'. The API's answer on stdout: {"routed":true} once a queue took it.
publish_message() {
  local message_id envelope
  message_id=$(cat /proc/sys/kernel/random/uuid)
  envelope="{\"messageId\":\"$message_id\",\"messageType\":[\"urn:message:Backup.Contracts:$2\"],\"message\":$3}"
  envelope=${envelope//\\/\\\\}
  envelope=${envelope//\"/\\\"}
  rabbitmq_api "$1" POST "exchanges/%2F/Backup.Contracts%3A$2/publish" \
    "{\"properties\":{\"content_type\":\"application/vnd.masstransit+json\",\"delivery_mode\":2,\"message_id\":\"$message_id\"},\"routing_key\":\"\",\"payload\":\"$envelope\",\"payload_encoding\":\"string\"}"
}

now_utc() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
