#!/usr/bin/env bash
# The monitor tests talk HMP and QMP to live guests; they are in Python.
exec python3 "$(dirname "$0")/monitor.py"
