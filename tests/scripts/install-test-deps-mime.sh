#!/bin/sh
# Test dependencies of MailAppliance.Mime.Tests: Debian's Dovecot IMAP server is the oracle the
# MIME/IMAP views are compared with (tests/MailAppliance.Mime.Tests/Oracle). The test fails, never
# skips, when /usr/lib/dovecot/imap is missing. The oracle runs as user "nobody" when tests run as
# root (runuser is in util-linux, present on Debian), otherwise as the current user.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends dovecot-imapd
