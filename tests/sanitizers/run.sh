#!/bin/bash
# Sanitizer builds of the test suite (docs/reliability.md).
#   bash tests/sanitizers/run.sh address,undefined [CTEST_ARGS...]   # build-asan/, every test
#   bash tests/sanitizers/run.sh address,undefined -L core           # the core tests (CI)
#   bash tests/sanitizers/run.sh thread -R 'tst_tasks|tst_svm'       # build-tsan/
# Our code is instrumented; Debian's LibTorch, Qt, OpenCV and OpenBLAS are not. Any report
# fails the test that caused it (halt_on_error); suppressions for reports inside those
# libraries are in this folder, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$PWD/tests/sanitizers
kind=${1:?address,undefined or thread}
shift
case "$kind" in
  thread) dir=build-tsan ;;
  *) dir=build-asan ;;
esac
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEEPSVM_SANITIZE="$kind" > /dev/null
# Only what the selected tests need: ctest names them; tst_* executables plus the app.
targets=$(ctest --test-dir "$dir" -N "$@" 2> /dev/null | sed -n 's/^ *Test *#[0-9]*: \(tst_[a-z0-9_]*\)$/\1/p' | grep -v -x -e tst_package -e tst_kill9 || true)
# The application too, for the tests that run it (not for TSan's threading tests).
app=deepsvm
[ "$kind" = thread ] && app=
cmake --build "$dir" -j2 --target $app $targets
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_odr_violation=0"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$here/tsan.supp"
ctest --test-dir "$dir" --output-on-failure -E 'tst_package|tst_kill9' "$@"
