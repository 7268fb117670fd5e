// Package statekey holds the allocation-free change key (64-bit FNV-1a) a machine or the daemon folds its state into, to tell that the state changed without building a copy of it.
package statekey

// Offset starts a key built with String and Uint.
const Offset uint64 = 14695981039346656037

const prime uint64 = 1099511628211

// String mixes s, and its end, into the key h.
func String(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	return (h ^ 0xff) * prime // "ab","c" and "a","bc" differ
}

// Uint mixes x into the key h, low byte first.
func Uint(h, x uint64) uint64 {
	for i := 0; i < 8; i++ {
		h = (h ^ (x & 0xff)) * prime
		x >>= 8
	}
	return h
}
