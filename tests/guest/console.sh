#!/usr/bin/env bash
# The console tests talk to live guests; they are written in Python.
exec python3 "$(dirname "$0")/console.py"
