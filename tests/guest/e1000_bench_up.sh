#!/bin/sh
# SPDX-License-Identifier: MIT
# script= for the e1000 benchmark's TAP: up, the host's address, and the
# guest's MAC for 10.0.0.2 (e1000_bench answers no ARP).
ip link set "$1" up
ip addr add 10.0.0.1/24 dev "$1"
ip neigh replace 10.0.0.2 lladdr 52:54:00:12:34:56 dev "$1" nud permanent
