#!/usr/bin/env bash
# The hostile-guest suite: hostile_spray throws random writes at every
# port, configuration space, BAR and ring of the machine of
# hostile_env.bash, once per seed.  kvmlite must run to the guest's own
# exit with the guest's status (no crash, no signal, no sanitizer report),
# the devices must still work afterwards, and the spray must not grow
# kvmlite's peak RSS by more than RSS_BOUND_KIB over a quiet run of the
# same machine (the same guest with rounds=0).
. "$(dirname "$0")/hostile_env.bash"

SEEDS=(1 2 3 4)
ROUNDS=${HOSTILE_ROUNDS:-60}

spray hostile_quiet "rounds=0"
quiet=$rss
peak=0
for seed in "${SEEDS[@]}"; do
	spray "hostile_spray_seed$seed" "seed=$seed rounds=$ROUNDS"
	grep -a '^hostile_spray: [0-9]* pio' "$TMP/out" | sed 's/^/  /'
	[ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
done
check_rss hostile_rss "$quiet" "$peak"
