#!/bin/sh
# cli-output.sh - what a user sees: the commands scripts/sweep prints (with --lrs
# and without, when each run keeps the tool's own learning rate), and the output of a
# run whose stdout and stderr go to one pipe (each line once, in order, no progress
# lines). Run by make test: sh tests/cli-output.sh ./cifar-train. Needs only POSIX
# sh, grep, awk and coreutils; the last line is "N passed, N failed".
set -u
bin=${1:-./cifar-train}
name=out
. "$(dirname "$0")/shlib.sh"
sweep="$(cd "$(dirname "$0")/.." && pwd)/scripts/sweep"
data=$tmp/data
synthetic_data "$data"
run="--model tiny --batch 10 --limit-train 100 --threads 1 --data $data"

# --- scripts/sweep ------------------------------------------------------------------
# lines FILE PATTERN: how many lines of FILE match the extended regex PATTERN.
lines() { grep -cE -- "$2" "$1"; }
sh "$sweep" --seeds "1 2" --out "$tmp/sw" --epochs 1 >"$tmp/plain"
check "sweep: one command per norm and seed" test "$(wc -l <"$tmp/plain")" -eq 6
check "sweep without --lrs passes no --lr" test "$(lines "$tmp/plain" --lr)" -eq 0
check "sweep without --lrs: directories NORM-sSEED" \
    test "$(lines "$tmp/plain" " --out $tmp/sw/(bn|ln|gn)-s[12] --epochs 1\$")" -eq 6
sh "$sweep" --norms bn --seeds 3 --lrs "0.05 0.1" --out "$tmp/sw" >"$tmp/lrs"
check "sweep --lrs: one command per rate" test "$(wc -l <"$tmp/lrs")" -eq 2
check "sweep --lrs: each rate and its directory" test "$(lines "$tmp/lrs" \
    "^./cifar-train --norm bn --seed 3 --lr (0.05|0.1) --out $tmp/sw/bn-s3-lr(0.05|0.1)\$")" -eq 2
# Run as printed, a sweep without --lrs trains at the tool's default rate.
sh "$sweep" --bin "$bin" --norms bn --out "$tmp/sw" $run --epochs 1 --quiet | sh
"$bin" $run --epochs 1 --quiet --out "$tmp/direct"
check "a sweep run without --lrs trains at the default rate" \
    test "$(grep '^lr:' "$tmp/sw/bn-s1/run.txt")" = "$(grep '^lr:' "$tmp/direct/run.txt")"

# --- stdout and stderr into one pipe ---------------------------------------------------
# Off a terminal no progress lines: each epoch once (its summary on stdout), the two
# header lines together, no carriage returns.
"$bin" $run --epochs 3 --out "$tmp/piped" 2>&1 | cat >"$tmp/both"
for e in 1 2 3; do
    check "epoch $e once in a pipe of both streams ($(lines "$tmp/both" "^epoch +$e/3 "))" \
        test "$(lines "$tmp/both" "^epoch +$e/3 ")" -eq 1
done
check "the header lines together, first" test "$(head -n 2 "$tmp/both" | cut -c 1-17)" = \
    "$(printf 'model tiny, norm \nactivation memory')"
check "no carriage returns in a pipe" test "$(tr -cd '\r' <"$tmp/both" | wc -c)" -eq 0

finish
