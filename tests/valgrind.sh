#!/bin/sh
# valgrind.sh - a tiny training run, then a resume of it, under valgrind memcheck:
# any memory error or leak fails (make valgrind). Synthetic data as in cli-errors.sh.
set -u
bin=${1:-./cifar-train}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cifar-vg-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

records() {
    i=0
    while [ "$i" -lt "$1" ]; do
        printf "\\$(printf '%03o' $((i % 10)))"
        head -c 3072 /dev/zero | tr '\000' "\\$(printf '%03o' $((i * 37 % 256)))"
        i=$((i + 1))
    done
}
mkdir "$tmp/data"
records 40 >"$tmp/data/data_batch_1.bin"
records 20 >"$tmp/data/test_batch.bin"
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
    --errors-for-leak-kinds=all"
run="--model tiny --batch 8 --limit-train 40 --threads 2 --quiet --tta"
$vg "$bin" $run --data "$tmp/data" --out "$tmp/run" --epochs 1 &&
    $vg "$bin" --resume "$tmp/run" --epochs 2 --quiet
rc=$?
[ "$rc" -eq 0 ] && echo "valgrind: no errors, no leaks" || echo "valgrind: failed ($rc)"
exit "$rc"
