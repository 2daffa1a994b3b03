#!/usr/bin/env bash
# The peers the benchmarks measure mxcut against that are not part of the
# test lab: dnsperf (DNS-OARC), the limit of what one resolver can serve.
# Debian/Ubuntu; run by `npm run bench` before it starts.
set -euo pipefail
if ! command -v dnsperf >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dnsperf >/dev/null
fi
