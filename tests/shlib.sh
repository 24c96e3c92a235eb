# shlib.sh - what the shell tests share, sourced after they set bin (the binary) and
# name (a word for the temp directory): bin made absolute, a temp directory $tmp
# removed on exit, the pass/fail tally, check, expect, and synthetic CIFAR files.
# POSIX sh and coreutils only.

case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cifar-$name-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# check DESCRIPTION COMMAND...: the command succeeds.
check() {
    what=$1
    shift
    if "$@"; then ok; else fail "$what"; fi
}

# expect STATUS TEXT ARGS...: the tool exits with STATUS and stderr contains TEXT.
expect() {
    want=$1 text=$2
    shift 2
    msg=$("$bin" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq "$want" ] && printf '%s' "$msg" | grep -qF -- "$text"; then
        ok
    else
        fail "cifar-train $*: exit $rc, '$msg' (want $want and '$text')"
    fi
}

# records N LABELS: N records of label (i mod LABELS) and a plain image of a grey
# level set by i, to stdout (deterministic: the same files every run).
records() {
    i=0
    while [ "$i" -lt "$1" ]; do
        printf "\\$(printf '%03o' $((i % $2)))"
        head -c 3072 /dev/zero | tr '\000' "\\$(printf '%03o' $((i * 37 % 256)))"
        i=$((i + 1))
    done
}

# synthetic_data DIR: DIR with 100 training and 50 test records of 10 labels.
synthetic_data() {
    mkdir -p "$1"
    records 100 10 >"$1/data_batch_1.bin"
    records 50 10 >"$1/test_batch.bin"
}

# The last line of every shell test, and its exit status.
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
