#!/bin/bash
# anon-classes.sh SMAPS: the anonymous RSS by kind of mapping: the heap
# arena (the mapping holding the Go heap: the largest rw-p anonymous one
# above 4 GiB that is not near the mmap base is taken as the arena: Go
# 1.26 places it at a random hint address), the executable's .data/.bss
# (file-backed rw-p, and the anonymous bss right behind it), [stack], and
# the rest (runtime metadata mapped with mmap near the libraries' base).
awk '
/^[0-9a-f]+-[0-9a-f]+ /{split($1,a,"-"); start=strtonum("0x" a[1]); perm=$2; name=$6; kind=""
  if (name ~ /\[stack\]/) kind="main stack"
  else if (name ~ /heartbeat/ && perm ~ /^rw/) kind="exe data (written pages)"
  else if (name == "" && start < 0x10000000) kind="exe bss"
  else if (name == "" && start < 0x700000000000) kind="heap arena"
  else if (name == "") kind="runtime mappings outside the arena"
  next}
/^Anonymous:/{ if (kind!="") s[kind]+=$2 }
END{for (k in s) {printf "%-40s %6d KiB\n", k, s[k]; t+=s[k]}; printf "%-40s %6d KiB\n", "anonymous in all", t}' "$1"
