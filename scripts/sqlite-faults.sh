#!/usr/bin/env bash
# SQLite on a full disk and on a read-only file system (BENCHMARKS.md, Faults). Needs root
# to mount a small tmpfs; builds the example if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/examples/faults ] || cargo build --release --example faults
dir=$(mktemp -d) ro=$(mktemp -d)
mount -t tmpfs -o size=4m,mode=0700 tmpfs "$dir"
mount --bind "$dir" "$ro" && mount -o remount,bind,ro "$ro"
trap 'umount "$ro" "$dir" 2>/dev/null; rmdir "$ro" "$dir"' EXIT
./target/release/examples/faults "$dir" "$ro"
