#!/bin/sh
# Runs as root at the end of the image build: precompiled headers for the headers C++
# programs here most often start with (contest style, and the starter template). g++
# takes a `<header>.gch` it finds in an -I directory in place of the header, if it was
# built with the same flags as the compile (runners/languages.py; else it is passed
# over silently, so tests/runners/test_cpp.py checks that it is used).
set -eu
pch=/opt/playground/pch
mkdir -p "$pch/bits"
work=$(mktemp -d)
for header in bits/stdc++.h iostream; do
  printf '#include <%s>\n' "$header" >"$work/pch.h"
  g++ -O2 -std=c++17 -x c++-header "$work/pch.h" -o "$pch/$header.gch"
done
chmod -R a+rX "$pch"
rm -rf "$work"
