#!/usr/bin/env bash
# Fails when build output is tracked: any ELF file but bpf2go's BPF
# objects (probes/*_bpfel.o, committed on purpose so that building needs no
# clang), or any file over 1 MiB outside testdata folders (probes/bpf's
# vmlinux.h aside, also committed on purpose).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		case "$f" in
		*_bpfel.o | *_bpfeb.o) ;;
		*) echo "tracked ELF file (build output?): $f" >&2; bad=1 ;;
		esac
	fi
	size=$(stat -c %s "$f")
	if [ "$size" -gt 1048576 ]; then
		case "$f" in
		testdata/* | */testdata/* | */vmlinux.h) ;;
		*) echo "tracked file over 1 MiB outside testdata: $f ($size bytes)" >&2; bad=1 ;;
		esac
	fi
done < <(git ls-files -z)
if [ "$bad" -ne 0 ]; then
	echo "remove build output with 'git rm --cached' and list it in .gitignore" >&2
	exit 1
fi
