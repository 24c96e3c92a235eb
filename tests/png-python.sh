#!/bin/sh
# png-python.sh - an outside reader's view of the PNG files a run writes: Python's
# zlib inflates them, checks every chunk CRC, and misclassified.png must hold the
# same pixels as misclassified.ppm. Optional: without python3 it says so and passes
# (the tool never needs Python; tests/test_png.c decodes the files in C). Run by
# make test: sh tests/png-python.sh ./cifar-train. Last line: "N passed, N failed".
set -u
bin=${1:-./cifar-train}
if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 not found: PNG cross-check skipped"
    echo "0 passed, 0 failed"
    exit 0
fi
name=png
. "$(dirname "$0")/shlib.sh"
synthetic_data "$tmp/data"
"$bin" --model tiny --batch 10 --epochs 1 --limit-train 100 --threads 1 --quiet \
    --data "$tmp/data" --out "$tmp/run" >/dev/null 2>&1 || { echo "FAIL the run"; echo "0 passed, 1 failed"; exit 1; }
python3 - "$tmp/run" <<'PY'
import struct, sys, zlib
run = sys.argv[1]
passed = failed = 0
def pixels(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    at, idat, size = 8, b'', None
    while at < len(data):
        n, kind = struct.unpack('>I4s', data[at:at + 8])
        body = data[at + 8:at + 8 + n]
        assert struct.unpack('>I', data[at + 8 + n:at + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b'IHDR':
            size = struct.unpack('>II', body[:8])
            assert body[8:] == bytes([8, 2, 0, 0, 0])
        elif kind == b'IDAT':
            idat += body
        at += 12 + n
    w, h = size
    raw = zlib.decompress(idat)   # checks the Adler-32
    assert len(raw) == h * (1 + 3 * w)
    rows = [raw[y * (1 + 3 * w):(y + 1) * (1 + 3 * w)] for y in range(h)]
    assert all(r[0] == 0 for r in rows)
    return w, h, b''.join(r[1:] for r in rows)
for name in ('misclassified.png', 'confusion.png'):
    try:
        pixels(run + '/' + name)
        passed += 1
    except Exception as e:
        failed += 1
        print('FAIL', name, repr(e))
try:
    w, h, rgb = pixels(run + '/misclassified.png')
    same = open(run + '/misclassified.ppm', 'rb').read() == b'P6\n%d %d\n255\n' % (w, h) + rgb
except Exception:
    same = False
if same:
    passed += 1
else:
    failed += 1
    print('FAIL misclassified.png and .ppm differ')
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
PY
