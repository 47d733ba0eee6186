#!/usr/bin/env bash
# Installs the servers the integration tests start themselves (they never use system services):
# PostgreSQL (lease coordination) and nats-server (JetStream sink), and the tools some tests drive (Chromium,
# systemd-analyze, docker-compose). Idempotent and quiet; Debian/Ubuntu only.
# `npm test` runs it by itself when a server is missing and it runs as root (test/helpers/provision-infra.ts).
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { command -v pg_ctl && command -v initdb; } >/dev/null 2>&1 ||
  missing+=(postgresql)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
# Headless Chromium for the wallboard browser test (test/browser, driven by playwright-core).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The deployment checks (test/integration/deploy): systemd-analyze verify on the unit, docker-compose config.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-infra: no apt-get here; install ${missing[*]} with your package manager (binaries on PATH)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the packages from starting system services: tests run their own servers on random ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
