#!/usr/bin/env bash
# Helpers shared by infra.sh and stack.sh (sourced, not run).

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
