#!/bin/sh
# The run's compile step: asks the warm compiler (tsc-warm.js), which waits for this
# with the library already loaded, and exits with its exit code. Without one running,
# tsc itself.
if [ -p /tmp/.tsc-go ] && kill -0 "$(cat /tmp/.tsc-pid 2>/dev/null)" 2>/dev/null; then
  echo go > /tmp/.tsc-go
  code=$(cat /tmp/.tsc-done)  # to the end: the warm compiler has exited
  exit "${code:-1}"
fi
exec tsc "$@"
