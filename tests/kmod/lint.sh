#!/usr/bin/env bash
# Kernel style and static checks for kmod/: checkpatch.pl (from Debian's
# linux-source tarball) and sparse (make C=2). Any finding fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=$ROOT/build/kernel-scripts
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)
[ -n "$tarball" ] || { echo "kmod lint: install linux-source (for checkpatch.pl)"; exit 1; }
if [ ! -x "$TOOLS/scripts/checkpatch.pl" ]; then
	mkdir -p "$TOOLS"
	tar -xJf "$tarball" -C "$TOOLS" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
fi
cd "$ROOT/kmod"
out=$("$TOOLS/scripts/checkpatch.pl" --no-tree --strict --terse -f $(find . -name "*.[ch]" ! -name "*.mod.c" ! -path "./tools/*" | sort) 2>&1 |
	grep -v "^total: 0 errors, 0 warnings, 0 checks" || true)
[ -z "$out" ] || { echo "$out"; echo "kmod lint: checkpatch findings"; exit 1; }
out=$(make -s C=2 CHECK=sparse 2>&1 | grep -v "Skipping BTF" || true)
[ -z "$out" ] || { echo "$out"; echo "kmod lint: sparse findings"; exit 1; }
echo "kmod lint: checkpatch --strict and sparse clean"
