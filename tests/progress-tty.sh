#!/bin/sh
# progress-tty.sh - the progress line on a real terminal: a short training on
# synthetic data inside a pseudo-terminal (util-linux script(1)) of 40, 80 and 200
# columns, one whose size is unknown with $COLUMNS set, and one resized from 200 to 40
# columns during the run. Every row the line draws and redraws (the text before each
# carriage return) stays short of the terminal's last column, and the line uses the
# width it has. Run by make test: sh tests/progress-tty.sh ./cifar-train. Skips,
# exit 0, where script(1) cannot run a command (-c). Needs POSIX sh, awk, stty and
# coreutils; the last line is "N passed, N failed".
set -u
bin=${1:-./cifar-train}
if ! script -q -e -c true /dev/null </dev/null >/dev/null 2>&1; then
    echo "skipped: progress-tty.sh needs script(1) from util-linux (script -q -e -c)"
    exit 0
fi
name=tty
. "$(dirname "$0")/shlib.sh"
synthetic_data "$tmp/data"
train="'$bin' --model tiny --batch 10 --limit-train 100 --threads 1 --data '$tmp/data'"

# in_pty COLUMNS COMMAND: COMMAND in a terminal COLUMNS wide, its output into
# $tmp/raw. Without onlcr a newline stays one byte, so every \r is the tool's own.
in_pty() {
    script -q -e -c "stty cols $1 rows 24 -onlcr; unset COLUMNS; $2" /dev/null \
        </dev/null >"$tmp/raw"
}

# The rows a carriage return went back over, one per line, into $tmp/rows: in the
# text before each \r, what follows its last newline.
drawn_rows() {
    awk 'BEGIN { RS = "\r" } { n = split($0, part, "\n"); print part[n] }' \
        "$tmp/raw" | sed '$d' >"$tmp/rows"
}
widest() { awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$tmp/rows"; }

# fits COLUMNS WHAT: every drawn row shorter than COLUMNS, and the widest more than
# half of it (the line grows with the terminal); the epochs' last batches drawn.
fits() {
    drawn_rows
    w=$(widest)
    check "$2: widest row $w of $1 columns" test "$w" -lt "$1" -a "$w" -gt $(($1 / 2))
    check "$2: both epochs' last batch drawn" \
        test "$(grep -c 'batch 10/10' "$tmp/rows")" -eq 2
}

for cols in 40 80 200; do
    in_pty "$cols" "$train --epochs 2 --out '$tmp/run$cols'"
    fits "$cols" "$cols columns"
done
check "200 columns: a full bar at the epoch's end" grep -q '#]  loss' "$tmp/rows"
# Size unknown (0 columns): $COLUMNS says.
in_pty 0 "COLUMNS=50 $train --epochs 2 --out '$tmp/run0'"
fits 50 "0 columns and COLUMNS=50"

# Resized from 200 to 40 columns once the first epoch is done; interrupted when two
# more epochs have ended after the resize (the second of them ran wholly after it).
# Once a row is drawn narrow, no wide one follows.
in_pty 200 "$train --epochs 100000 --schedule constant --out '$tmp/resized' \
    >'$tmp/out' & pid=\$!
    epochs() { grep -c '^epoch' '$tmp/out'; }
    until_epochs() {
        n=0; until [ \$(epochs) -ge \$1 ] || [ \$n -ge 600 ]; do sleep 0.1; n=\$((n + 1)); done
    }
    until_epochs 1
    stty cols 40
    until_epochs \$((\$(epochs) + 2))
    kill -INT \$pid; wait \$pid"
drawn_rows
check "resized: the first epoch drawn wide" \
    test "$(awk 'length($0) > 100' "$tmp/rows" | wc -l)" -gt 0
check "resized: then narrow" test "$(awk 'length($0) >= 1 && length($0) < 40 { narrow = 1 }
    narrow && length($0) >= 40 { wide++ } END { print narrow + 0, wide + 0 }' \
    "$tmp/rows")" = "1 0"

finish
