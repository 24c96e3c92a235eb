#!/bin/sh
# cli-errors.sh - the tool from the outside, for what needs a process: every bad input
# gets a one-line message naming what is wrong and a non-zero exit status (2 usage,
# 1 data or I/O, 3 diverged, 130/143 signals) and loses nothing already in the run
# directory; checkpoints, --resume and interrupts end to end. Run by make test after
# the C suite: sh tests/cli-errors.sh ./cifar-train. Needs only POSIX sh, awk, ps
# and coreutils (head, cmp, mktemp, mkfifo); the last line is "N passed, N failed".
set -u
bin=${1:-./cifar-train}
name=cli
. "$(dirname "$0")/shlib.sh"

good=$tmp/data
synthetic_data "$good"
run="--model tiny --batch 10 --limit-train 100 --threads 1 --quiet"

# --- bad data ---------------------------------------------------------------------
expect 1 "data directory $tmp/none not found" $run --data "$tmp/none" --out "$tmp/o1"
mkdir "$tmp/d1"
cp "$good/test_batch.bin" "$tmp/d1/"
expect 1 "data_batch_1.bin: No such file" $run --data "$tmp/d1" --out "$tmp/o1"
: >"$tmp/d1/data_batch_1.bin"
expect 1 "empty file" $run --data "$tmp/d1" --out "$tmp/o1"
head -c 100000 "$good/data_batch_1.bin" >"$tmp/d1/data_batch_1.bin"
expect 1 "not a multiple of the 3073-byte record" $run --data "$tmp/d1" --out "$tmp/o1"
head -c 92090 "$good/data_batch_1.bin" >"$tmp/d1/data_batch_1.bin"   # 30 records less 100 bytes
expect 1 "(29 whole records; truncated?)" $run --data "$tmp/d1" --out "$tmp/o1"
{ records 3 10; printf '\012'; head -c 3072 /dev/zero; } >"$tmp/d1/data_batch_1.bin"
expect 1 "record 3 (0-based) has label 10" $run --data "$tmp/d1" --out "$tmp/o1"
rm "$tmp/d1/data_batch_1.bin"
mkdir "$tmp/d1/data_batch_1.bin"
expect 1 "not a regular file" $run --data "$tmp/d1" --out "$tmp/o1"
check "failed runs leave no run directory" test ! -e "$tmp/o1/log.csv"

# --- bad output -------------------------------------------------------------------
: >"$tmp/afile"
expect 1 "cannot create directory $tmp/afile" $run --data "$good" --out "$tmp/afile/run"
if [ "$(id -u)" -ne 0 ]; then   # root writes anywhere
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    expect 1 "$tmp/ro/run" $run --data "$good" --out "$tmp/ro/run"
fi
mkdir "$tmp/full"
ln -s /dev/full "$tmp/full/log.csv"
expect 1 "No space left on device" $run --data "$good" --out "$tmp/full" --epochs 1

# --- bad options: exit 2 ----------------------------------------------------------
o="--data $good --out $tmp/o2"
expect 2 "--epochs: '0'" $run $o --epochs 0
expect 2 "--epochs: '-1'" $run $o --epochs -1
expect 2 "--epochs: '2x'" $run $o --epochs 2x
expect 2 "--batch: '0'" $run $o --batch 0
expect 2 "--batch 101 is larger than the 100 training images" $run $o --batch 101
expect 2 "--lr: 'abc'" $run $o --lr abc
expect 2 "--norm: 'xn'" $run $o --norm xn
expect 2 "--model: 'big'" $run $o --model big
expect 2 "groups" $run $o --norm gn --groups 3
expect 2 "--epochs needs a value" $run $o --epochs
expect 2 "--resume needs a value" $run $o --resume
expect 2 "unknown option '--bogus'" $run $o --bogus
check "bad options leave no run directory" test ! -e "$tmp/o2"
expect 2 "unknown command 'trian' (commands: train, summary, compare, bench, model, eval, predict, export;" trian
# Help: -h and -V work; every line fits 80 columns; no "(...) (default ...)".
for c in "" summary compare bench; do
    out=$("$bin" $c -h) || fail "cifar-train $c -h exits non-zero"
    check "cifar-train $c -h: a usage line" test -n "$(printf '%s' "$out" | grep '^usage:')"
    wide=$(printf '%s\n' "$out" | awk 'length > 80')
    check "cifar-train $c --help fits 80 columns: $wide" test -z "$wide"
    check "cifar-train $c --help: no doubled brackets" test -z "$(printf '%s' "$out" | grep ') (')"
done
check "-V prints the version" test -n "$("$bin" -V | grep '^cifar-train [0-9]')"
check "--help lists the commands" test "$("$bin" --help | grep -c '^  \(train\|summary\|compare\|bench\)  ')" -eq 4
check "summary --help lists its own options only" test -z "$("$bin" summary --help | grep -e --epochs)"
# Repeated options: the last one wins.
"$bin" $run --data "$good" --out "$tmp/o3" --epochs 5 --epochs 1
check "--epochs 5 --epochs 1 runs one epoch" test "$(wc -l <"$tmp/o3/log.csv")" -eq 2
expect 2 "--force" $run --data "$good" --out "$tmp/o3" --epochs 1
expect 2 "--resume $tmp/o3 to continue it" $run --data "$good" --out "$tmp/o3" --epochs 1
check "an existing log is kept" test "$(wc -l <"$tmp/o3/log.csv")" -eq 2
# A refused run says so before anything else: nothing on stdout.
out=$("$bin" --model tiny --batch 10 --limit-train 100 --threads 1 --data "$good" \
    --out "$tmp/o3" --epochs 1 2>/dev/null)
check "a run refused for its directory prints nothing else: '$out'" test -z "$out"
# Singular counts: one epoch, one thread.
out=$("$bin" --model tiny --batch 10 --limit-train 100 --threads 1 --data "$good" \
    --out "$tmp/o4" --epochs 1 2>/dev/null)
check "1 thread" test -n "$(printf '%s' "$out" | grep '; 1 thread$')"
check "1 epoch in" test -n "$(printf '%s' "$out" | grep '; 1 epoch in [0-9.]* s$')"
out=$("$bin" --resume "$tmp/o4" 2>/dev/null)
check "a finished run resumed writes its end again" test -n "$(printf '%s' "$out" |
    grep '; its end written again in [0-9.]* s$')"
# A resumed run says where it starts, and its time covers its own epochs only.
out=$("$bin" --resume "$tmp/o4" --epochs 3 2>/dev/null)
check "resuming ... at epoch 2 of 3" test -n "$(printf '%s' "$out" | grep "^resuming $tmp/o4 at epoch 2 of 3$")"
check "epochs 2-3 of 3 in" test -n "$(printf '%s' "$out" | grep '; epochs 2-3 of 3 in [0-9.]* s$')"

# --- checkpoints and resume ---------------------------------------------------------
r=$tmp/r
"$bin" $run --data "$good" --out "$r" --epochs 2
check "a checkpoint after the run" test -s "$r/checkpoint.bin"
cp "$r/checkpoint.bin" "$tmp/ck.bin"
cp "$r/log.csv" "$tmp/log.csv"
unchanged() {
    cmp -s "$r/checkpoint.bin" "$tmp/ck.bin" && cmp -s "$r/log.csv" "$tmp/log.csv"
}
# A finished run resumed as it is redoes its end (the files after the last epoch).
check "resuming a finished run redoes its end" "$bin" --resume "$r" --quiet
expect 2 "has finished 2 epochs" --resume "$r" --epochs 1
expect 2 "--norm differs from the run in $r" --resume "$r" --epochs 3 --norm gn
expect 2 "--lr differs" --resume "$r" --epochs 3 --lr 0.5
expect 2 "give one" --resume "$r" --epochs 3 --force
expect 2 "name different run directories" --resume "$r" --out "$tmp/elsewhere"
expect 1 "cannot open $tmp/none/checkpoint.bin" --resume "$tmp/none"
check "refused resumes change nothing" unchanged
head -c 1000 "$tmp/ck.bin" >"$r/checkpoint.bin"
expect 1 "checkpoint.bin is truncated" --resume "$r" --epochs 3
{ head -c 8 "$tmp/ck.bin"; printf '\011'; tail -c +10 "$tmp/ck.bin"; } >"$r/checkpoint.bin"
expect 1 "format version 9" --resume "$r" --epochs 3
{ head -c 5000 "$tmp/ck.bin"; printf 'X'; tail -c +5002 "$tmp/ck.bin"; } >"$r/checkpoint.bin"
expect 1 "CRC-32 does not match" --resume "$r" --epochs 3
printf 'hello' >"$r/checkpoint.bin"
expect 1 "not a cifar-train checkpoint" --resume "$r" --epochs 3
check "a corrupt checkpoint changes no log" cmp -s "$r/log.csv" "$tmp/log.csv"
cp "$tmp/ck.bin" "$r/checkpoint.bin"
# Disk full while writing the checkpoint (a small RLIMIT_FSIZE, SIGXFSZ ignored so
# the write fails instead): the error names it and the old checkpoint stays.
msg=$( (trap '' XFSZ; ulimit -f 20; "$bin" --resume "$r" --epochs 3 --quiet) 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && printf '%s' "$msg" | grep -q "checkpoint.bin"; then ok; else
    fail "resume under a full disk: exit $rc, '$msg'"; fi
check "a failed checkpoint write keeps the old one" cmp -s "$r/checkpoint.bin" "$tmp/ck.bin"
"$bin" --resume "$r" --epochs 3 --threads 2 --quiet
check "resumed to 3 epochs" test "$(wc -l <"$r/log.csv")" -eq 4

# --- interrupts --------------------------------------------------------------------
i="$tmp/int run"   # the resume hint quotes it for the shell
"$bin" $run --data "$good" --out "$i" --epochs 100000 --schedule constant 2>"$tmp/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
check "SIGINT exits 130 (got $rc)" test "$rc" -eq 130
check "SIGINT says how to resume" grep -q -- "saved: continue it with: cifar-train --resume '$i'\$" "$tmp/err"
check "SIGINT: run.txt says interrupted" grep -q "^status: interrupted" "$i/run.txt"
check "SIGINT leaves a checkpoint" test -s "$i/checkpoint.bin"
"$bin" --resume "$i" --quiet 2>"$tmp/err" &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid" 2>/dev/null   # no "Terminated" from the shell
rc=$?
check "SIGTERM exits 143 (got $rc)" test "$rc" -eq 143
check "no temp file left" test ! -e "$i/checkpoint.bin.tmp"

# A second SIGINT, or a SIGTERM after the SIGINT, ends the run at once, even in the
# middle of saving. A FIFO with no reader as checkpoint.bin.tmp stands in for a disk
# that hangs: every checkpoint write blocks in open(), so the run cannot end by
# itself. The first SIGINT is sent while the run is stopped (SIGSTOP) outside that
# open(), so its handler runs as soon as the run continues (caught inside the open,
# it would restart the open: the handler is installed with SA_RESTART). After that
# only the second signal can end the run, by its default action (SIGINT's is back
# since the first, SA_RESETHAND; a SIGTERM's handler raises it again under it): exit
# 130 or 143, nothing on stderr. A second SIGINT then goes every half second until
# the run ends (two sent together may arrive as one), or a SIGTERM goes once, a second
# after the run continued; after 30 s, SIGKILL (exit 137).
stopped() { ps -o stat= -p "$pid" | grep -q '^T'; }
# targets_kept DIR: beside each temp file in DIR, the file it was to replace. (The
# second signal may cut short any atomic write, curves.svg's say, not only the
# blocked one; the temp file then stays, and the file it was for stays whole.)
targets_kept() {
    for f in "$1"/*.tmp; do
        [ ! -e "$f" ] || [ -s "${f%.tmp}" ] || return 1
    done
}
# whole_rows LOG: at least one row, every line whole, as many fields as the header.
whole_rows() {
    [ "$(wc -l <"$1")" -ge 2 ] && [ "$(wc -l <"$1")" -eq "$(grep -c '' "$1")" ] &&
        awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$1"
}
second_signal() {   # SIGNAL EXIT
    i2=$tmp/int2-$1
    "$bin" $run --data "$good" --out "$i2" --epochs 100000 --schedule constant \
        2>"$tmp/err" &
    pid=$!
    n=0   # training once the first epoch's checkpoint is there (60 s at most)
    while [ ! -s "$i2/checkpoint.bin" ] && [ "$n" -lt 600 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    n=0   # stopped while it writes no checkpoint (its temp file would be there)
    while [ "$n" -lt 100 ] && kill -STOP "$pid" 2>/dev/null; do
        m=0
        until stopped || [ "$m" -ge 100 ]; do
            sleep 0.1
            m=$((m + 1))
        done
        if stopped && mkfifo "$i2/checkpoint.bin.tmp" 2>/dev/null; then break; fi
        kill -CONT "$pid"
        sleep 0.1
        n=$((n + 1))
    done
    cp "$i2/checkpoint.bin" "$tmp/ck2.bin"   # from here on it cannot be replaced
    kill -INT "$pid" 2>/dev/null
    kill -CONT "$pid" 2>/dev/null
    (
        n=0
        [ "$1" = INT ] || { sleep 1; kill -"$1" "$pid" 2>/dev/null; }
        while kill -0 "$pid" 2>/dev/null; do
            n=$((n + 1))
            if [ "$n" -gt 60 ]; then kill -KILL "$pid"; break; fi
            [ "$1" != INT ] || kill -INT "$pid" 2>/dev/null
            sleep 0.5
        done
    ) &
    pinger=$!
    wait "$pid" 2>/dev/null   # no "Terminated" from the shell
    rc=$?
    wait "$pinger"
    check "SIGINT then SIG$1 exits $2 (got $rc)" test "$rc" -eq "$2"
    check "SIGINT then SIG$1 ends the run silently ($(cat "$tmp/err"))" \
        test ! -s "$tmp/err"
    check "the blocked temp file was never written" test -p "$i2/checkpoint.bin.tmp"
    check "temp files left sit beside the files they were for" targets_kept "$i2"
    rm -f "$i2/checkpoint.bin.tmp"
    check "SIGINT then SIG$1 keeps the checkpoint" \
        cmp -s "$i2/checkpoint.bin" "$tmp/ck2.bin"
    check "SIGINT then SIG$1 keeps the log whole" whole_rows "$i2/log.csv"
    # The checkpoint decodes (CRC and all): only the changed option is refused.
    expect 2 "--lr differs from the run in $i2" --resume "$i2" --lr 99
}
if command -v ps >/dev/null && command -v mkfifo >/dev/null; then
    second_signal INT 130
    second_signal TERM 143
else
    echo "skipped: the second-signal checks need ps and mkfifo"
fi

# --- bench on a network file: the file's convs are measured ------------------------
"$bin" model tiny | sed 's/conv 16 3/conv 24 3/' >"$tmp/bench.net"
"$bin" bench --quick --model "$tmp/bench.net" --norm bn >"$tmp/bench.out" 2>&1
check "bench --model FILE measures the file's net" \
    grep -q "^file   bn " "$tmp/bench.out"
check "bench --model FILE times the file's own conv shapes" \
    grep -q "^file.c3 *24>24 3x3" "$tmp/bench.out"

# --- --no-fuse: every layer by itself, the same training ------------------------
for m in s8 r6 w6; do
    for f in "" --no-fuse; do
        "$bin" --model $m --dropout 0.2 --batch 10 --limit-train 100 --threads 1 \
            --quiet --epochs 2 --data "$good" --out "$tmp/nf-$m$f" $f >/dev/null
        cut -d, -f1-8,10-12 "$tmp/nf-$m$f/log.csv" >"$tmp/nf-$m$f.csv"   # no seconds, run id
    done
    check "--no-fuse trains $m as the fused passes do" \
        cmp -s "$tmp/nf-$m.csv" "$tmp/nf-$m--no-fuse.csv"
done

# --- one run per directory: the lock ---------------------------------------------
l=$tmp/lock
mkdir "$l"
printf 'pid %s\nstarted then\n' "$$" >"$l/lock"   # this shell: alive
expect 1 "$l is in use by process $$ (started then" $run --data "$good" --out "$l" \
    --epochs 1
check "a held lock is left to its holder" grep -q "^pid $$\$" "$l/lock"
check "a locked directory gets no log" test ! -e "$l/log.csv"
sh -c 'exit 0' &
gone=$!
wait "$gone"
printf 'pid %s\nstarted then\n' "$gone" >"$l/lock"   # its process has ended
msg=$("$bin" $run --data "$good" --out "$l" --epochs 1 2>&1)
check "a stale lock is taken over with a notice ($msg)" \
    test "$msg" = "cifar-train: note: took over the lock of $l from process $gone, which has ended"
check "the lock goes when the run ends" test ! -e "$l/lock"
# Two processes on one directory at once, both released by one barrier (a FIFO
# opened for writing wakes every process blocked opening it for reading): exactly
# one runs, the other touches nothing. Fresh runs, then resumes, a few times over.
race() {   # race ARGS...: r1 and r2 are the two exit statuses
    rm -f "$tmp/go" && mkfifo "$tmp/go"
    (: <"$tmp/go"; exec "$bin" "$@" 2>"$tmp/race1") &
    p1=$!
    (: <"$tmp/go"; exec "$bin" "$@" 2>"$tmp/race2") &
    p2=$!
    sleep 0.3   # both blocked in open()
    : >"$tmp/go"
    wait "$p1"
    r1=$?
    wait "$p2"
    r2=$?
}
one_ran() {   # one exit 0, the other 1 saying who holds the lock (or, if it came
    # only after the first had ended, 2 saying the directory holds a run)
    if [ $((r1 + r2)) -eq 1 ] && [ "$r1" -le 1 ] && [ "$r2" -le 1 ]; then
        cat "$tmp/race1" "$tmp/race2" | grep -q "is in use by process"
    else
        [ $((r1 + r2)) -eq 2 ] && [ "$r1" -ne 1 ] &&
            cat "$tmp/race1" "$tmp/race2" | grep -q "already holds a run"
    fi
}
n=1
while [ "$n" -le 6 ]; do
    rc_dir=$tmp/race-$n
    # (a few epochs each, so that the first still runs when the second looks)
    race $run --data "$good" --out "$rc_dir" --epochs 3
    check "race $n, new run: one runs ($r1 $r2: $(cat "$tmp/race1" "$tmp/race2"))" one_ran
    check "race $n, new run: one header, 3 rows" test "$(wc -l <"$rc_dir/log.csv")" -eq 4
    race --resume "$rc_dir" --epochs 6 --quiet
    check "race $n, resume: one runs ($r1 $r2: $(cat "$tmp/race1" "$tmp/race2"))" one_ran
    check "race $n, resume: 3 more rows" test "$(wc -l <"$rc_dir/log.csv")" -eq 7
    check "race $n, resume: finished" grep -q "^status: finished" "$rc_dir/run.txt"
    expect 2 "has finished 6 epochs" --resume "$rc_dir" --epochs 1
    n=$((n + 1))
done

# --- a run whose end was cut short is finished by --resume -------------------------
e=$tmp/end
"$bin" $run --data "$good" --out "$e" --epochs 2
cp "$e/classes.csv" "$e/misclassified/index.csv" "$e/confusion.csv" "$tmp/"
rm "$e/classes.csv" "$e/confusion.csv" "$e"/misclassified/*.ppm
: >"$e/misclassified.ppm.tmp"   # as a kill -9 in an atomic write leaves it
sed 's/^status: finished$/status: running/' "$e/run.txt" >"$tmp/run.txt" &&
    mv "$tmp/run.txt" "$e/run.txt"
cp "$e/checkpoint.bin" "$tmp/ck-end.bin"
check "a run cut short in its end is finished by --resume" "$bin" --resume "$e" --quiet
check "its end is the same again" cmp -s "$e/classes.csv" "$tmp/classes.csv"
check "its images are back" cmp -s "$e/misclassified/index.csv" "$tmp/index.csv"
check "its run.txt says finished" grep -q "^status: finished" "$e/run.txt"
check "its checkpoint is kept" cmp -s "$e/checkpoint.bin" "$tmp/ck-end.bin"
check "its temp file is gone" test ! -e "$e/misclassified.ppm.tmp"
rm "$e/checkpoint.bin"
expect 1 "stopped before the first was saved" --resume "$e"
expect 1 "start it over with --force --out $e" --resume "$e"

# --- paths checked before the first step ------------------------------------------
long=$tmp/long   # 4,050 characters or more, short of the 4,096 --out takes
while [ "${#long}" -lt 4050 ]; do long=$long/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; done
expect 2 "characters long; a run directory may have at most" $run --data "$good" \
    --out "$long" --epochs 1
check "a too long --out trains nothing and makes no directory" test ! -e "$tmp/long"

# --- a checkpoint from another run is refused ------------------------------------
"$bin" $run --data "$good" --out "$tmp/id-bn" --epochs 1
"$bin" $run --data "$good" --out "$tmp/id-gn" --epochs 1 --norm gn
id=$(sed -n 's/^run_id: //p' "$tmp/id-bn/run.txt")
check "run.txt has the run id ($id)" test "${#id}" -eq 16
check "log.csv has it in the column run_id" test "$(awk -F, 'NR == 1 { print $NF }
    NR == 2 { print $NF }' "$tmp/id-bn/log.csv" | tr '\n' ' ')" = "run_id $id "
cp "$tmp/id-bn/log.csv" "$tmp/id-log.csv"
cp "$tmp/id-gn/checkpoint.bin" "$tmp/id-bn/checkpoint.bin"
expect 1 "a checkpoint copied from another run directory?" --resume "$tmp/id-bn" \
    --epochs 2
check "the other run's checkpoint changes no log" cmp -s "$tmp/id-bn/log.csv" "$tmp/id-log.csv"

# --- files that are not regular, signals before training ----------------------------
mkdir "$tmp/d2"
cp "$good/test_batch.bin" "$tmp/d2/"
mkfifo "$tmp/d2/data_batch_1.bin"
expect 1 "data_batch_1.bin is not a regular file (it is a FIFO)" $run --data "$tmp/d2" \
    --out "$tmp/o9"
rm "$tmp/d2/data_batch_1.bin"
ln -s /dev/zero "$tmp/d2/data_batch_1.bin"
expect 1 "data_batch_1.bin is not a regular file (it is a device)" $run \
    --data "$tmp/d2" --out "$tmp/o9"
expect 1 "data directory $good/test_batch.bin is a file, not a directory" $run \
    --data "$good/test_batch.bin" --out "$tmp/o9"
# A write that blocks (a FIFO as run.txt's temp file) before the first step: a
# SIGTERM ends the run at once, with no checkpoint (after 20 s, SIGKILL: 137).
s=$tmp/sig
mkdir "$s"
mkfifo "$s/run.txt.tmp"
"$bin" $run --data "$good" --out "$s" --epochs 1 2>"$tmp/err" &
pid=$!
sleep 0.5
kill -TERM "$pid"
( sleep 20; kill -KILL "$pid" 2>/dev/null ) &
guard=$!
wait "$pid" 2>/dev/null
rc=$?
kill "$guard" 2>/dev/null
check "SIGTERM before training ends the run at once (got $rc)" test "$rc" -eq 143
check "SIGTERM before training saves nothing" test ! -e "$s/checkpoint.bin"

# --- smaller ones ------------------------------------------------------------------
expect 0 "data_batch_1.bin holds 100 records, not CIFAR-10's 10000" \
    --model tiny --batch 10 --limit-train 100 --threads 1 --data "$good" \
    --out "$tmp/odd" --epochs 1
expect 2 "unexpected argument 'extra' after --" $run $o -- extra
"$bin" $run --data "$good" --out "$tmp/dash" --epochs 1 --
check "-- at the end ends the options" test -s "$tmp/dash/checkpoint.bin"
expect 2 "--lr: '0x10' is not a number" $run $o --lr 0x10
expect 2 "--threads: ' 2' is not a whole number" $run $o --threads " 2"
expect 2 "--seed: '0x5' is not a whole number" $run $o --seed 0x5
expect 2 "--lr does not apply to cifar-train summary" summary --lr 0.1
check "bad options still leave no run directory" test ! -e "$tmp/o2"
if [ -w /dev/full ]; then
    msg=$("$bin" --help 2>&1 >/dev/full)
    rc=$?
    check "--help to a full disk exits 1 ($rc: $msg)" test "$rc" -eq 1
    msg=$("$bin" --model tiny --batch 10 --limit-train 100 --threads 1 \
        --data "$good" --out "$tmp/full2" --epochs 2 2>&1 >/dev/full)
    rc=$?
    check "a run to a full stdout exits 1 ($rc: $msg)" test "$rc" -eq 1
    check "a run to a full stdout still finishes" grep -q "^status: finished" \
        "$tmp/full2/run.txt"
fi
# stdout to a pipe whose reader has quit: no SIGPIPE; the run trains to its end.
{ "$bin" --model tiny --batch 10 --limit-train 100 --threads 1 --data "$good" \
      --out "$tmp/pipe" --epochs 5 2>/dev/null; echo $? >"$tmp/pipe-rc"; } | true
rc=$(cat "$tmp/pipe-rc")
check "a closed stdout pipe ends no run (exit $rc)" test "$rc" -le 1
check "a closed stdout pipe: the run finishes" grep -q "^status: finished" \
    "$tmp/pipe/run.txt"

# --- network files ---------------------------------------------------------------
n=$tmp/net
mkdir "$n"
"$bin" model tiny >"$n/tiny.net"
check "model tiny prints its text" grep -q "^c4: *classifier" "$n/tiny.net"
"$bin" summary --model tiny | tail -n +2 >"$n/by-name"
"$bin" summary --model "$n/tiny.net" | tail -n +2 >"$n/by-file"
check "summary of the printed text is the built-in's" cmp -s "$n/by-name" "$n/by-file"
sed 's/add pool2/add c2/' "$n/tiny.net" >"$n/bad.net"
expect 2 "$n/bad.net:16: layer c3: skip-add of 16x8x8 and 16x16x16" \
    $run --data "$good" --out "$n/o" --model "$n/bad.net"
expect 2 "tiny.net:18: the net has 3912 parameters, over the budget of 3000" \
    $run --data "$good" --out "$n/o" --model "$n/tiny.net" --max-params 3000
expect 2 "usage: cifar-train model NAME" model nosuch
check "a bad network file leaves no run directory" test ! -e "$n/o"
cp "$n/tiny.net" "$n/mine.net"
"$bin" $run --data "$good" --out "$n/run" --model "$n/mine.net" --epochs 1
check "run.txt names the network file" grep -q "^model: $n/mine.net" "$n/run/run.txt"
rm "$n/mine.net"
"$bin" --resume "$n/run" --epochs 2 --quiet
check "a resumed run needs no network file" test "$(wc -l <"$n/run/log.csv")" -eq 3

# --- divergence ------------------------------------------------------------------
expect 3 "--lr 100) is probably too high" $run --data "$good" --out "$tmp/dv" \
    --lr 100 --schedule constant --epochs 30

# --- compare: outputs never replace inputs or foreign files ---------------------
# Refusals exit 2 (a usage error, as --out over an existing run without --force).
cmpd=$tmp/cmp
for r in a b; do
    mkdir -p "$cmpd/$r"
    printf 'epoch,train_loss,train_acc,test_loss,test_acc,test_acc_flip\n1,2,30,1.9,35,36\n2,1.5,45,1.4,52,53\n' \
        >"$cmpd/$r/log.csv"
    printf 'model: s8\nnorm: bn\nepochs: 2\nlr: 0.1\nseed: %s\nstatus: finished\n' \
        "$([ $r = a ] && echo 1 || echo 2)" >"$cmpd/$r/run.txt"
done
echo "not a chart" >"$cmpd/notes.txt"
cp "$cmpd/a/log.csv" "$tmp/log.keep"
cp "$cmpd/a/run.txt" "$tmp/run.keep"
cp "$cmpd/notes.txt" "$tmp/notes.keep"
expect 2 "an input of this comparison" compare "$cmpd/a" --svg "$cmpd/a/log.csv"
expect 2 "an input of this comparison" compare "$cmpd/a" --svg "$cmpd/a/log.csv" --force
expect 2 "an input of this comparison" compare "$cmpd/a" --csv "$cmpd/a/run.txt"
expect 2 "an input of this comparison" compare "$cmpd/a" "$cmpd/b" \
    --svg "$cmpd/b/../a/log.csv"
check "compare leaves log.csv byte for byte" cmp -s "$cmpd/a/log.csv" "$tmp/log.keep"
check "compare leaves run.txt byte for byte" cmp -s "$cmpd/a/run.txt" "$tmp/run.keep"
expect 2 "pass --force" compare "$cmpd/a" --svg "$cmpd/notes.txt"
expect 2 "pass --force" compare "$cmpd/a" --csv "$cmpd/notes.txt"
check "a refused chart leaves the file there" cmp -s "$cmpd/notes.txt" "$tmp/notes.keep"
check "no chart was written beside it" test ! -e "$cmpd/compare.svg"
# compare_ok DESCRIPTION ARGS...: compare exits 0.
compare_ok() {
    what=$1
    shift
    if (cd "${cmpcwd:-.}" && "$bin" compare "$@" >"$tmp/cmp.out" 2>"$tmp/cmp.err")
    then ok; else fail "$what: $(cat "$tmp/cmp.err")"; fi
}
compare_ok "--force replaces a file that is not a chart" "$cmpd/a" \
    --svg "$cmpd/notes.txt" --force
check "the forced file is now a chart" grep -q '^<!-- cifar-train compare -->$' \
    "$cmpd/notes.txt"
echo "not a chart" >"$cmpd/notes.txt"
# The default chart goes beside the runs, not into the current directory; the
# second time round, runs/* holds it, and it is skipped with a notice.
mkdir "$tmp/elsewhere"
cmpcwd=$tmp/elsewhere
compare_ok "compare DIR/*" "$cmpd"/*
cmpcwd=.
check "the default chart is DIR/compare.svg" test -s "$cmpd/compare.svg"
check "and not in the current directory" test ! -e "$tmp/elsewhere/compare.svg"
check "notes.txt skipped with a notice" grep -q "skipping $cmpd/notes.txt" "$tmp/cmp.err"
compare_ok "compare DIR/* again, with its own chart in DIR" "$cmpd"/*
check "its own chart is skipped with a notice" \
    grep -q "skipping $cmpd/compare.svg" "$tmp/cmp.err"
compare_ok "compare DIR takes the runs in it" "$cmpd" --csv "$cmpd/table.csv"
check "compare DIR lists its runs in name order" \
    awk 'NR == 2 && /\/a / { a = 1 } NR == 3 && /\/b / { b = 1 } END { exit !(a && b) }' \
    "$tmp/cmp.out"
check "the seed group's mean +- std" grep -q "52.00 +- 0.00%" "$tmp/cmp.out"
check "--csv: the header and one row per run" awk -F, 'NR == 1 && $1 == "run" &&
    $14 == "final_test_acc_flip" { h = 1 } NR > 1 && $14 == "53.00" { n++ }
    END { exit !(h && n == 2 && NR == 3) }' "$cmpd/table.csv"
compare_ok "--csv replaces a table it wrote" "$cmpd" --csv "$cmpd/table.csv"
expect 1 "$tmp/nowhere: no such run directory" compare "$cmpd/a" "$tmp/nowhere"
expect 1 "no run directory" compare "$tmp/elsewhere"

# --- eval, predict, export ---------------------------------------------------------
u=$tmp/use
"$bin" $run --data "$good" --out "$u" --epochs 2
last=$("$bin" eval "$u" --threads 1 | tail -n 1)
logged=$(tail -n 1 "$u/log.csv" | awk -F, '{ printf "test_acc=%s test_loss=%s images=50", $8, $7 }')
check "eval's last line is the run's last logged test accuracy and loss" \
    test "$last" = "$logged"
last=$("$bin" eval "$u" --file "$good/test_batch.bin" --tta | tail -n 1)
check "eval --file scores a CIFAR-format file" test "$last" = "$logged"
"$bin" eval "$u" --out "$tmp/ev" --logits "$tmp/ev.logits" >/dev/null
check "eval --out writes the confusion matrix and per-class table" \
    test -s "$tmp/ev/confusion.csv" -a -s "$tmp/ev/classes.csv"
check "eval --logits writes float32 [50][10]" test "$(wc -c <"$tmp/ev.logits")" -eq 2000
expect 2 "needs a run directory" eval
expect 2 "--onnx does not apply to cifar-train eval" eval "$u" --onnx "$tmp/x.onnx"
expect 2 "unknown option '--bogus'" predict "$u" x.ppm --bogus
expect 2 "needs images" predict "$u"
expect 2 "needs --onnx FILE" export "$u"
expect 1 "cannot open $tmp/none/checkpoint.bin" eval "$tmp/none" --out "$tmp/ev2"
mkdir "$tmp/junk" && printf 'hello' >"$tmp/junk/checkpoint.bin"
expect 1 "not a cifar-train checkpoint" export "$tmp/junk" --onnx "$tmp/junk.onnx"
check "a refused eval or export writes nothing" test ! -e "$tmp/ev2" -a ! -e "$tmp/junk.onnx"
# Images: a good PPM (the first test record), bad ones, a directory, CIFAR records.
{ printf 'P6\n32 32\n255\n'; head -c 3073 "$good/test_batch.bin" | tail -c 3072; } >"$tmp/good.ppm"
{ printf 'P6\n32 32\n15\n'; head -c 3072 /dev/zero; } >"$tmp/maxval.ppm"
{ printf 'P6\n32 32\n255\n'; head -c 3000 /dev/zero; } >"$tmp/short.ppm"
printf 'P3\n0 0\n255\n' >"$tmp/empty.ppm"
"$bin" predict "$u" "$tmp/good.ppm" "$tmp/maxval.ppm" "$tmp/short.ppm" "$tmp/empty.ppm" \
    "$tmp" "$tmp/good.ppm" >"$tmp/pred.out" 2>"$tmp/pred.err"
check "predict with bad images exits 1" test $? -eq 1
check "the good images are still answered" test "$(grep -c "^$tmp/good.ppm: " "$tmp/pred.out")" -eq 2
check "maxval named" grep -q "$tmp/maxval.ppm: maxval is 15" "$tmp/pred.err"
check "truncated pixels named" grep -q "$tmp/short.ppm: truncated pixel data" "$tmp/pred.err"
check "0x0 named" grep -q "$tmp/empty.ppm: the image is 0x0" "$tmp/pred.err"
check "a directory named" grep -q "$tmp is a directory" "$tmp/pred.err"
check "how many failed" grep -q "4 of 6 image files could not be read" "$tmp/pred.err"
"$bin" predict "$u" "$good/test_batch.bin" --csv >"$tmp/pred.csv"
check "predict --csv: a header and a row per CIFAR record, probabilities summing to 1" \
    awk -F, 'NR == 1 && $1 == "image" && $12 == "truck" { h = 1 }
        NR > 1 { s = 0; for (i = 3; i <= 12; i++) s += $i; if (s < 0.999 || s > 1.001) bad = 1 }
        END { exit !(h && !bad && NR == 51) }' "$tmp/pred.csv"
check "the first record's class as eval predicts it for the PPM" test \
    "$(sed -n 2p "$tmp/pred.csv" | cut -d, -f2)" = \
    "$(head -n 1 "$tmp/pred.out" | sed 's/^[^:]*: \([a-z]*\) .*/\1/')"
"$bin" export "$u" --onnx "$tmp/m.onnx" >/dev/null
check "export writes the ONNX file" test -s "$tmp/m.onnx"
expect 1 "$tmp/none/m.onnx" export "$u" --onnx "$tmp/none/m.onnx"

finish
