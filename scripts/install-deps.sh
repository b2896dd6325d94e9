#!/usr/bin/env bash
# Installs what MailAppliance needs on Debian, idempotently: only missing packages, apt-get update only if needed.
#   scripts/install-deps.sh          what `serve` needs (PostgreSQL server binaries, the Public Suffix List)
#   scripts/install-deps.sh --test   plus what the test suite drives (real clients, Dovecot and sieve-test oracles, sieve-connect, python3-dkim
#                                    and python3-spf as DKIM and SPF peers, chromium and chromium-driver for the
#                                    console's browser tests)
set -euo pipefail

runtime=(postgresql publicsuffix)
testing=(postgresql swaks dovecot-core libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl curl dovecot-imapd dovecot-pop3d dovecot-sieve sieve-connect uw-mailutils libidn12 libcourier-unicode4 libgamin0 libgdbm6 courier-authlib fetchmail isync getmail6 offlineimap3 python3
  publicsuffix python3-dkim python3-nacl python3-dnspython python3-spf libmail-srs-perl clamav-daemon postfix
  chromium chromium-driver fonts-dejavu-core afl++)

packages=("${runtime[@]}")
if [[ "${1:-}" == "--test" ]]; then
  packages=("${testing[@]}")
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi

# Courier-IMAP writes the Courier maildirs the import tests adopt. Its package conflicts with dovecot-imapd (both
# provide imap-server), which the tests need as well: its imapd is unpacked, not installed, beside its libraries.
unpack_courier() {
  local courier=/var/cache/mailappliance-test/courier-imap
  if [[ "${1:-}" == "--test" && ! -x $courier/usr/bin/imapd ]]; then
    $sudo mkdir -p /var/cache/mailappliance-test
    (cd /var/cache/mailappliance-test && $sudo apt-get download courier-imap >>/tmp/mailappliance-apt.log 2>&1 \
      && $sudo dpkg -x courier-imap_*.deb "$courier") || { echo "install-deps: could not unpack courier-imap" >&2; exit 1; }
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  unpack_courier "${1:-}"
  exit 0
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-deps: the .NET 10 SDK (dotnet) is required and is not on PATH" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
# Packaged daemons (the distribution's PostgreSQL cluster, Dovecot) must not start and take ports: the appliance
# runs its own private cluster, and Dovecot is only a test oracle. A policy-rc.d that refuses starts does that.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee $policy >/dev/null
  $sudo chmod 755 $policy
  added_policy=yes
fi
trap '[[ -n "$added_policy" ]] && $sudo rm -f '"$policy" EXIT

export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/mailappliance-apt.log 2>&1; then
  $sudo apt-get update >>/tmp/mailappliance-apt.log 2>&1
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/mailappliance-apt.log 2>&1 || {
    echo "install-deps: apt-get install failed; see /tmp/mailappliance-apt.log" >&2
    tail -n 20 /tmp/mailappliance-apt.log >&2
    exit 1
  }
fi

unpack_courier "${1:-}"
