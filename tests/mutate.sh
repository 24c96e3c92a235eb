#!/bin/sh
# mutate.sh - the mutation check (make mutate): each one-line change listed in
# tests/mutants.txt, applied to a scratch copy of the tree, must make the suite fail.
# The tree is copied to build/mutate/tree (only files that changed since the last run
# are copied again, so the builds there stay incremental), the suite is built and run
# there once unchanged (it must pass), then for each mutant: the change is applied,
# the test runner rebuilt (one object and the link), the suite run (and, if it
# passes, tests/cli-errors.sh too, which tests what needs a process: locks, signals,
# stdout), and the file restored. The real
# tree is never written to. One line per mutant:
#   killed            the suite failed
#   killed (build)    the mutant did not compile: a bad mutant, to be replaced
#   killed (timeout)  the suite ran longer than MUTATE_TIMEOUT seconds (default 300)
#   SURVIVED          the suite passed: a test is missing
# and last "N mutants, K killed, S survived"; the exit status is 1 if any survived,
# 2 if the list or the unchanged suite is broken. MUTANTS=pattern (an awk extended
# regular expression) runs only the mutants whose file or why text matches it.
# Needs POSIX sh, awk, make, cmp and coreutils; git if the tree is a git checkout.
set -u

list=tests/mutants.txt
work=build/mutate
tree=$work/tree
runner=build/test/run_tests
timeout_s=${MUTATE_TIMEOUT:-300}
sep=$(printf '\037')
mutated=   # the file of the scratch tree now mutated, if any

# The sub-makes get their compiler and flags from the environment (make exports the
# variables set on its command line), not a parent's job server.
unset MAKEFLAGS MFLAGS MAKELEVEL

die() {
    restore
    echo "mutate: $*" >&2
    exit 2
}

[ -f "$list" ] && [ -f Makefile ] || die "run from the repository root (make mutate)"
mkdir -p "$work" || die "cannot create $work"

# --- the list: blocks of file:/from:/to:/why: lines, blank-line separated -----------
# Written to $work/selected, one mutant a line: number, file, from, to, why, separated
# by the unit separator (\037, which the list cannot contain).
parse_list() {
    MUTANTS=${MUTANTS:-} SEP=$sep awk '
    function fail(msg) { printf "mutate: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; bad = 1 }
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function finish() {
        if (!started) return
        if (!("file" in f) || !("from" in f) || !("to" in f) || !("why" in f))
            fail("the mutant ending here lacks one of file:, from:, to:, why:")
        else if (f["from"] == "")
            fail("empty from:")
        else if (f["from"] == f["to"])
            fail("from: and to: are the same")
        n++
        if (ENVIRON["MUTANTS"] == "" || (f["file"] " " f["why"]) ~ ENVIRON["MUTANTS"])
            print n SEP f["file"] SEP f["from"] SEP f["to"] SEP f["why"]
        split("", f)
        started = 0
    }
    BEGIN { SEP = ENVIRON["SEP"] }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { finish(); next }
    {
        if (index($0, SEP)) { fail("holds a \\037 byte"); next }
        colon = index($0, ":")
        key = substr($0, 1, colon - 1)
        if (colon == 0 || (key != "file" && key != "from" && key != "to" && key != "why")) {
            fail("want file:, from:, to: or why:, got: " $0)
            next
        }
        if (key in f) fail("a second " key ": in one mutant (a blank line missing?)")
        f[key] = trim(substr($0, colon + 1))
        started = 1
    }
    END { finish(); exit bad }
    ' "$list" > "$work/selected"
}

# --- the scratch tree -----------------------------------------------------------------

# The files of the tree: those git knows (tracked, or new and not ignored), else the
# folders the build reads.
tree_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard
    else
        find src include tests scripts Makefile -type f
    fi
}

# Copies into $tree the files that differ from the real tree (new mtimes: make
# rebuilds what depends on them) and removes files the real tree no longer has.
sync_tree() {
    tree_files | LC_ALL=C sort > "$work/files" || die "cannot list the tree's files"
    while IFS= read -r f; do
        [ -f "$f" ] || continue   # deleted but not yet committed
        if ! cmp -s "$f" "$tree/$f"; then
            mkdir -p "$tree/$(dirname "$f")" && cp "$f" "$tree/$f" ||
                die "cannot copy $f"
        fi
    done < "$work/files"
    (cd "$tree" && find . -path ./build -prune -o -type f -print | sed 's|^\./||' |
        LC_ALL=C sort) > "$work/have"
    LC_ALL=C comm -23 "$work/have" "$work/files" | while IFS= read -r f; do
        rm -f "$tree/$f"
    done
}

build_runner() {
    make -C "$tree" -j2 "$runner" < /dev/null > "$work/build.log" 2>&1
}

build_cli() {
    make -C "$tree" -j2 cifar-train < /dev/null >> "$work/build.log" 2>&1
}

# Runs the suite in $tree (0: passed), output in $work/run.log; 124 on a timeout.
# The exit inside the subshell keeps it waiting for the runner, so that the shell's
# note on a crash ("Aborted") goes to the log too.
run_suite() {
    if command -v timeout >/dev/null 2>&1; then
        (cd "$tree" && timeout "$timeout_s" "./$runner"; exit $?) < /dev/null \
            > "$work/run.log" 2>&1
    else
        (cd "$tree" && "./$runner"; exit $?) < /dev/null > "$work/run.log" 2>&1
    fi
}

run_cli() {
    (cd "$tree" && sh tests/cli-errors.sh ./cifar-train; exit $?) < /dev/null \
        >> "$work/run.log" 2>&1
}

# --- one mutant -------------------------------------------------------------------------

# How many times FROM occurs in file $1 (as a fixed string, within lines).
count_matches() {
    FROM=$from awk '
    { s = $0; while ((i = index(s, ENVIRON["FROM"])) > 0) { n++; s = substr(s, i + 1) } }
    END { print n + 0 }' "$1"
}

# The line number of FROM's first occurrence in file $1.
match_line() {
    FROM=$from awk 'index($0, ENVIRON["FROM"]) { print FNR; exit }' "$1"
}

# Writes file $1 with FROM replaced by TO to file $2.
replace() {
    FROM=$from TO=$to awk '
    {
        i = index($0, ENVIRON["FROM"])
        if (i) $0 = substr($0, 1, i - 1) ENVIRON["TO"] substr($0, i + length(ENVIRON["FROM"]))
        print
    }' "$1" > "$2"
}

# Puts the mutated file back; touched, and its object removed, so the next build
# compiles it again rather than keep the mutant's object.
restore() {
    [ -n "${mutated:-}" ] || return 0
    cp "$work/original" "$tree/$mutated" && touch "$tree/$mutated"
    case $mutated in
    *.c) rm -f "$tree/build/test/${mutated%.c}.o" "$tree/build/release/${mutated%.c}.o" ;;
    esac
    mutated=
}

trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM

# Applies the mutant, builds, runs; sets $result.
try_mutant() {
    cp "$tree/$file" "$work/original" || die "cannot save $file"
    mutated=$file
    replace "$work/original" "$work/mutant" && cp "$work/mutant" "$tree/$file" ||
        die "cannot write the mutant of $file"
    if ! build_runner; then
        result="killed (build)"
    else
        run_suite
        rc=$?
        if [ "$rc" -eq 124 ]; then
            result="killed (timeout)"
        elif [ "$rc" -ne 0 ]; then
            result=killed
        else
            result=SURVIVED
            if ! build_cli; then
                result="killed (build)"
            elif ! run_cli; then
                result=killed
            fi
        fi
    fi
    restore
}

# --- main -------------------------------------------------------------------------------

parse_list || die "$list is malformed"
[ -s "$work/selected" ] || die "no mutant in $list matches MUTANTS='${MUTANTS:-}'"
mkdir -p "$tree"
sync_tree

# Every from must occur exactly once in its file, checked before anything runs.
bad=0
while IFS=$sep read -r num file from to why; do
    if [ ! -f "$tree/$file" ]; then
        echo "mutate: mutant $num: no file $file" >&2
        bad=1
        continue
    fi
    c=$(count_matches "$tree/$file")
    if [ "$c" -ne 1 ]; then
        echo "mutate: mutant $num ($file): from: occurs $c times, want once: $from" >&2
        bad=1
    fi
done < "$work/selected"
[ "$bad" -eq 0 ] || die "fix $list: each from: must occur exactly once in its file"

# The unchanged tree must build and pass, or every mutant would look killed.
build_runner || { cat "$work/build.log" >&2; die "the unchanged tree does not build"; }
run_suite || { tail -20 "$work/run.log" >&2; die "the suite fails without any mutant"; }
build_cli && run_cli ||
    { tail -20 "$work/run.log" >&2; die "cli-errors.sh fails without any mutant"; }

total=0 killed=0 survived=0
mutated=
while IFS=$sep read -r num file from to why; do
    at=$(match_line "$tree/$file")
    try_mutant
    total=$((total + 1))
    case $result in
    SURVIVED) survived=$((survived + 1)) ;;
    *) killed=$((killed + 1)) ;;
    esac
    printf '%-16s #%-3s %s:%s  %s\n' "$result" "$num" "$file" "$at" "$why"
done < "$work/selected"

echo "$total mutants, $killed killed, $survived survived"
[ "$survived" -eq 0 ]
