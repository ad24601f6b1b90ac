#!/bin/bash
# Builds the .deb with CPack and checks what it installs: the binaries (deepsvm, which prints
# --version through deepsvm-cli; deepsvm-cli without Qt Widgets / Qt Charts; deepsvm-studio),
# the desktop entry, AppStream metainfo, icons and the man pages.
#   check_deb.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$build"
cpack -G DEB -B "$work/out" > "$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/deepsvm-studio_*.deb)
echo "package: $(basename "$deb")"
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -f "$deb" Depends | tee "$work/depends"
fail() { echo "FAIL: $*"; exit 1; }
for f in usr/bin/deepsvm usr/bin/deepsvm-cli usr/bin/deepsvm-studio usr/share/applications/org.deepsvm.Studio.desktop usr/share/metainfo/org.deepsvm.Studio.metainfo.xml \
         usr/share/icons/hicolor/scalable/apps/deepsvm.svg usr/share/icons/hicolor/48x48/apps/deepsvm.png \
         usr/share/icons/hicolor/256x256/apps/deepsvm.png usr/share/man/man1/deepsvm.1 usr/share/man/man1/deepsvm-cli.1 \
         usr/share/man/man1/deepsvm-studio.1; do
  [ -s "$work/root/$f" ] || fail "$f missing from the package"
done
for dep in libtorch libqt6widgets6 libopencv libsvm3 libarchive13 libopenblas0-pthread; do
  grep -q "$dep" "$work/depends" || fail "Depends lacks $dep"
done
file "$work/root/usr/share/icons/hicolor/256x256/apps/deepsvm.png" | grep -q "256 x 256" || fail "the 256 px icon is not 256 x 256"
version=$("$work/root/usr/bin/deepsvm" --version)
echo "binary: $version"
echo "$version" | grep -q "0\.[0-9]" || fail "--version printed '$version'"
cli_version=$("$work/root/usr/bin/deepsvm-cli" --version)
[ "$cli_version" = "$version" ] || fail "deepsvm-cli --version printed '$cli_version'"
ldd "$work/root/usr/bin/deepsvm-cli" > "$work/cli.ldd" || fail "ldd deepsvm-cli failed"
for heavy in libQt6Widgets libQt6Charts; do
  if grep -q "$heavy" "$work/cli.ldd"; then fail "deepsvm-cli links $heavy"; fi
done
grep -q 'deepsvm\\-cli' "$work/root/usr/share/man/man1/deepsvm.1" || fail "man page does not name deepsvm-cli"
grep -q '^Exec=deepsvm' "$work/root/usr/share/applications/org.deepsvm.Studio.desktop" || fail "desktop entry has no Exec"
grep -q 'COMMAND: fetch' "$work/root/usr/share/man/man1/deepsvm.1" || fail "man page lacks the fetch command"
if command -v desktop-file-validate > /dev/null; then
  desktop-file-validate "$work/root/usr/share/applications/org.deepsvm.Studio.desktop"
else
  echo "desktop-file-validate not installed: desktop entry not validated"
fi
if command -v appstreamcli > /dev/null; then
  appstreamcli validate --no-net --pedantic "$work/root/usr/share/metainfo/org.deepsvm.Studio.metainfo.xml" || \
    appstreamcli validate --no-net "$work/root/usr/share/metainfo/org.deepsvm.Studio.metainfo.xml"
else
  echo "appstreamcli not installed: metainfo not validated"
fi
echo "ok"
