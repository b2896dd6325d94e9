#!/usr/bin/env bash
# Installs MailAppliance as a systemd service: publishes the binary to /opt/mailappliance, creates the data
# directory owned by the `mail` user, installs the example configuration (kept if present) and the unit.
# Run from a checkout, as root: deploy/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "install.sh: run as root" >&2; exit 1; }

prefix=/opt/mailappliance
data=/var/lib/mailappliance
config=/etc/mailappliance

scripts/install-deps.sh
dotnet publish src/MailAppliance -c Release -o "$prefix" -nologo -v q
mkdir -p "$prefix/docs" && cp -r docs/. "$prefix/docs/"

id mail >/dev/null 2>&1 || useradd --system --home-dir "$data" --shell /usr/sbin/nologin mail
install -d -m 0750 -o mail -g mail "$data"
install -d -m 0750 -o root -g mail "$config"
if [[ ! -e $config/appsettings.Production.json ]]; then
  install -m 0640 -o root -g mail deploy/appsettings.Production.json "$config/appsettings.Production.json"
  echo "install.sh: edit $config/appsettings.Production.json (Hostname, Tls) before starting" >&2
fi

install -m 0644 deploy/mailappliance.service /etc/systemd/system/mailappliance.service
systemctl daemon-reload
echo "install.sh: done. Start with: systemctl enable --now mailappliance" >&2
echo "install.sh: admin verbs: sudo -u mail $prefix/mailappliance --config $config/appsettings.Production.json domain list" >&2
