#!/usr/bin/env bash
# Installs the Debian packages the test rig and the dev stack start (redis-server,
# slapd, ldap-utils, samba AD DC (samba-ad-dc + samba-ad-provision: the schema files
# samba-tool provision needs), winbind, krb5-user, openssl, util-linux's logger), and
# chromium with fonts-noto-cjk for the browser tests and the console's screenshots
# (playwright-core drives Debian's chromium: `npx playwright install` cannot download here).
# As root: installs what is missing. Otherwise: prints the apt-get line and fails.
set -euo pipefail
pkgs=(redis-server slapd ldap-utils samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind krb5-user openssl bsdutils chromium fonts-noto-cjk)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "leasehold: missing Debian packages: ${missing[*]}" >&2
  echo "run as root: $line" >&2
  exit 1
fi
echo "leasehold: installing ${missing[*]}" >&2
# slapd asks for a domain and admin password; the rig never uses the packaged
# instance, so preseed harmless answers and keep the service from starting.
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
echo "krb5-config krb5-config/default_realm string VENDOR.TEST" | debconf-set-selections
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
