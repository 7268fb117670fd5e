# bench/waits.sh: the waits bench/monitor.sh and bench/keepalived.sh share
# (sourced; VIP must be set by the caller for wait_after).
wait_re() { # wait_re FILE REGEX SECS
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
  return 1
}
wait_after() { # wait_after FILE WORD T0 SECS: a "STAMP WORD VIP/..." line stamped after T0
  local end=$((SECONDS + $4))
  while ((SECONDS < end)); do
    [[ -n $(awk -v t0="$3" -v w="$2" -v v="$VIP/" '$1 > t0 && $2 == w && index($3, v) == 1 {print; exit}' "$1" 2>/dev/null) ]] && return 0
    sleep 0.02
  done
  return 1
}
gone() { # gone PID: wait until PID has exited (it is not our child: disowned)
  local i
  for i in $(seq 500); do [[ -d /proc/$1 ]] || return 0; sleep 0.02; done
}
