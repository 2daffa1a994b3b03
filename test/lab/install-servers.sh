#!/usr/bin/env bash
# Installs the real DNS servers the lab tests start (BIND 9, Unbound) and the
# tools the interactive tests drive (tmux), when they are missing. Debian/Ubuntu.
set -euo pipefail

need=()
command -v named >/dev/null 2>&1 || need+=(bind9)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
# dnssec-keygen, dnssec-signzone, dnssec-dsfromkey: the DNSSEC lab's keys, expired signatures and DS records.
command -v dnssec-signzone >/dev/null 2>&1 || need+=(bind9-utils)
command -v unbound >/dev/null 2>&1 || need+=(unbound)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# PowerDNS Authoritative with the sqlite3 backend for the powerdns host's lab tests.
command -v pdns_server >/dev/null 2>&1 || need+=(pdns-server)
[ -f /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ] || need+=(pdns-backend-sqlite3)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
# Knot DNS and NSD: the rfc2136 host's lab tests against the servers it meets besides BIND.
command -v knotd >/dev/null 2>&1 || need+=(knot)
command -v nsd >/dev/null 2>&1 || need+=(nsd)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing test servers: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The packages start their own daemons on install; the lab starts its own
# instances on loopback aliases and needs none of them.
for svc in named bind9 unbound knot nsd; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
# The pdns package starts a system pdns on port 53 (all addresses), which would
# take port 53 from the lab's BIND on 127.53.X.Y: stop it and keep it from starting again.
if command -v systemctl >/dev/null 2>&1 && systemctl list-unit-files pdns.service >/dev/null 2>&1; then
  systemctl disable --now pdns >/dev/null 2>&1 || true
fi
if command -v pdns_server >/dev/null 2>&1 && [ -f /run/pdns/pdns.pid ]; then
  kill "$(cat /run/pdns/pdns.pid)" 2>/dev/null || true
fi
exit 0
