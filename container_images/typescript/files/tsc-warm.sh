#!/bin/sh
# Started in the background as the container starts (runners/languages.py): the warm
# compiler, with the FIFOs the run's compile step talks to it through.
mkfifo /tmp/.tsc-go /tmp/.tsc-done || exit 0
echo $$ > /tmp/.tsc-pid
exec node /opt/playground/tsc-warm.js "$@"
