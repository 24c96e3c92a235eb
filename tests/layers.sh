#!/bin/sh
# layers.sh LAYER... - the folders of src/ and include/ form layers, named from the
# bottom up; a file may include headers of its own folder and of folders before it
# only, so dependencies run one way. Files are opened for writing, deleted and
# renamed in src/report/ only (src/base/ may open files to read them): no other file
# calls fopen, remove, rename or tmpfile. Prints every include or call that breaks
# these rules and exits 1 if there is one (make test runs it with the Makefile's
# LAYERS).
set -u
[ $# -gt 0 ] || { echo "usage: layers.sh LAYER..." >&2; exit 2; }
bad=0
rank() {   # position of folder $1 in the argument list, 0 if absent
    n=1
    for l in $layers; do
        [ "$l" = "$1" ] && { echo $n; return; }
        n=$((n + 1))
    done
    echo 0
}
layers="$*"
for dir in src include; do
    for f in "$dir"/*; do
        [ -d "$f" ] || { echo "layers: $f is outside every layer folder"; bad=1; }
    done
done
for l in $layers; do
    own=$(rank "$l")
    for f in src/"$l"/*.c include/"$l"/*.h; do
        [ -f "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_]*\.h".*/\1/p' "$f"); do
            r=$(rank "$inc")
            if [ "$r" -eq 0 ] || [ "$r" -gt "$own" ]; then
                echo "layers: $f ($l) includes a header of $inc"
                bad=1
            fi
        done
        if grep -n '^#include "[^/]*"' "$f"; then
            echo "layers: $f includes a header without its folder"
            bad=1
        fi
    done
done
for f in src/*/*.c include/*/*.h; do
    case "$f" in src/report/* | src/base/*) continue ;; esac
    if grep -nE '(^|[^A-Za-z0-9_])(fopen|remove|rename|tmpfile)\(' "$f" |
       sed "s|^|layers: $f:|; s|\$| (files are written and deleted in src/report/)|" |
       grep .; then
        bad=1
    fi
done
[ "$bad" -eq 0 ] &&
    echo "layers: includes run one way ($layers); files are written in report"
exit "$bad"
