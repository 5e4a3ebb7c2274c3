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

json_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\"/\\\"}"; }

# Each service's broker user of PERMISSIONS_FILE (deploy/rabbitmq/permissions.tsv), without tags, with its permissions
# on the vhost "/", through the management API as the administrator of CURL_CONFIG (a password travels in a request body
# on stdin, never on a command line). A user's password is the file PASSWORD_DIR/USER, made when missing (so kept across
# runs): create_broker_users CURL_CONFIG PERMISSIONS_FILE PASSWORD_DIR. Needs log, die and write_secret.
create_broker_users() {
  local curl_config=$1 permissions=$2 passwords=$3 user configure write read password
  mkdir -p "$passwords"
  chmod 0700 "$passwords"
  log "creating the services' RabbitMQ users ($permissions)"
  while IFS=$'\t' read -r user configure write read; do
    [[ -z $user || $user == \#* ]] && continue
    [[ -s $passwords/$user ]] || write_secret "$passwords/$user" "$(random_alnum 32)"
    password=$(<"$passwords/$user")
    rabbitmq_api "$curl_config" PUT "users/$user" "{\"password\":\"$password\",\"tags\":\"\"}" >/dev/null ||
      die "could not create the RabbitMQ user $user"
    rabbitmq_api "$curl_config" PUT "permissions/%2F/$user" \
      "{\"configure\":\"$(json_escape "$configure")\",\"write\":\"$(json_escape "$write")\",\"read\":\"$(json_escape "$read")\"}" >/dev/null ||
      die "could not set the RabbitMQ permissions of $user"
  done <"$permissions"
}

# Each service's catalog login role (deploy/postgres/catalog-roles.tsv), into the associative arrays the caller declared:
# CATALOG_ROLES (short name -> role) and CATALOG_ROLE_SERVICES (short name -> its Migrator:ServiceRoles key).
read_catalog_roles() { # read_catalog_roles FILE
  local service role name
  while IFS=$'\t' read -r service role name; do
    [[ -z $service || $service == \#* ]] && continue
    CATALOG_ROLES[$name]=$role
    CATALOG_ROLE_SERVICES[$name]=$service
  done <"$1"
}

# Each service's Migrator__ServiceRoles__<Service>=<role> setting, one per line, from the arrays read_catalog_roles filled:
# the migrator grants each of those roles its tables.
migrator_role_settings() {
  local name
  for name in "${!CATALOG_ROLES[@]}"; do printf 'Migrator__ServiceRoles__%s=%s\n' "${CATALOG_ROLE_SERVICES[$name]}" "${CATALOG_ROLES[$name]}"; done
}

# SQL for psql that makes ROLE a login with PASSWORD and nothing else (the migrator grants its tables); psql's stdin only.
catalog_login_role_sql() { # catalog_login_role_sql ROLE PASSWORD
  printf "SELECT 'CREATE ROLE %s LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') \\\\gexec\n" "$1" "$1"
  printf "ALTER ROLE %s WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '%s';\n" "$1" "$2"
}
