#!/bin/sh
# The entrypoint of a node of deploy/compose/rabbitmq-cluster.yml: puts the cluster's Erlang cookie (a compose secret,
# bind-mounted with the host file's owner and mode) where RabbitMQ reads it, owned by the rabbitmq user and 0400 as
# Erlang requires, then hands over to the image's own entrypoint (which drops to the rabbitmq user).
set -eu
install -o rabbitmq -g rabbitmq -m 0400 /run/secrets/rabbitmq_erlang_cookie /var/lib/rabbitmq/.erlang.cookie
exec docker-entrypoint.sh "$@"
