package authkeys

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
)

// ErrBadDigest means the token does not match the data.
var ErrBadDigest = errors.New("authkeys: digest does not match")

// UnknownKeyError means the auth string names an index that has no key here
// (stock: "Invalid authentication [N] in message!").
type UnknownKeyError struct{ Index int }

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("authkeys: no key configured for index %d", e.Index)
}

// BadAuthStringError means the auth string is not "<index> <hex token>".
type BadAuthStringError struct{ AuthString string }

func (e *BadAuthStringError) Error() string {
	return fmt.Sprintf("authkeys: bad auth string %q", e.AuthString)
}

// crcTable is the MSB-first table for polynomial 0x04C11DB7 (PROTOCOL §4.3).
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC32 is heartbeat's crc method: CRC-32, MSB-first, init 0, final xor
// 0xffffffff, no length appended (reveng CRC-32/CKSUM without the length).
func CRC32(data []byte) uint32 {
	var c uint32
	for _, b := range data {
		c = c<<8 ^ crcTable[byte(c>>24)^b]
	}
	return ^c
}

// macKey holds the HMAC pads of one md5/sha1 key (RFC 2104, 64-byte block)
// and a pool of hash states, so signing allocates nothing in steady state.
type macKey struct {
	newHash    func() hash.Hash
	ipad, opad [64]byte
	// innerState and outerState are the hash states after the pads,
	// restored instead of re-hashing the pads on every message.
	innerState, outerState []byte
	pool                   sync.Pool // of *macState
}

// macState is one reusable hash with room for the inner and outer sums.
type macState struct {
	h            hash.Hash
	inner, outer [sha1.Size]byte
}

func newMacKey(m Method, secret []byte) *macKey {
	mk := &macKey{newHash: sha1.New}
	if m == MD5 {
		mk.newHash = md5.New
	}
	k := secret
	if len(k) > 64 {
		h := mk.newHash()
		h.Write(k)
		k = h.Sum(nil)
	}
	for i := range 64 {
		var b byte
		if i < len(k) {
			b = k[i]
		}
		mk.ipad[i] = b ^ 0x36
		mk.opad[i] = b ^ 0x5c
	}
	mk.innerState = padState(mk.newHash(), mk.ipad[:])
	mk.outerState = padState(mk.newHash(), mk.opad[:])
	return mk
}

// padState returns h's marshalled state after writing pad, or nil when
// the hash cannot be marshalled.
func padState(h hash.Hash, pad []byte) []byte {
	h.Write(pad)
	if bm, ok := h.(encoding.BinaryMarshaler); ok {
		if st, err := bm.MarshalBinary(); err == nil {
			return st
		}
	}
	return nil
}

// start resets h to the state after pad.
func start(h hash.Hash, state, pad []byte) {
	if state != nil {
		if bu, ok := h.(encoding.BinaryUnmarshaler); ok && bu.UnmarshalBinary(state) == nil {
			return
		}
	}
	h.Reset()
	h.Write(pad)
}

// appendToken appends the lowercase-hex token of data under key slot kk.
func (kk *key) appendToken(dst, data []byte) []byte {
	if kk.method == CRC {
		// Stock prints the crc with "%lx": no leading zeros.
		return strconv.AppendUint(dst, uint64(CRC32(data)), 16)
	}
	mk := kk.mac
	st, _ := mk.pool.Get().(*macState)
	if st == nil {
		st = &macState{h: mk.newHash()}
	}
	h := st.h
	start(h, mk.innerState, mk.ipad[:])
	h.Write(data)
	inner := h.Sum(st.inner[:0])
	start(h, mk.outerState, mk.opad[:])
	h.Write(inner)
	dst = hex.AppendEncode(dst, h.Sum(st.outer[:0]))
	mk.pool.Put(st)
	return dst
}

// Token returns the token of data under the key configured for idx.
func (k *Keys) Token(idx int, data []byte) (string, error) {
	if _, ok := k.Method(idx); !ok {
		return "", &UnknownKeyError{Index: idx}
	}
	var buf [64]byte
	return string(k.keys[idx].appendToken(buf[:0], data)), nil
}

// Sign returns the auth string "<active index> <token>" of data (PROTOCOL §4.2).
func (k *Keys) Sign(data []byte) string {
	var buf [72]byte
	return string(k.AppendSign(buf[:0], data))
}

// AppendSign appends the auth string of data to dst.
func (k *Keys) AppendSign(dst, data []byte) []byte {
	dst = strconv.AppendInt(dst, int64(k.active), 10)
	dst = append(dst, ' ')
	return k.keys[k.active].appendToken(dst, data)
}

// ParseAuthString splits "<index> <token>"; hbgo is stricter than stock's
// sscanf("%d %s"): one to two decimal digits, one space, lowercase hex, nothing else.
func ParseAuthString(s string) (idx int, token string, err error) {
	idx, tok, ok := parseAuth([]byte(s))
	if !ok {
		return 0, "", &BadAuthStringError{AuthString: s}
	}
	return idx, s[len(s)-len(tok):], nil
}

// parseAuth is ParseAuthString on bytes; token aliases b.
func parseAuth(b []byte) (idx int, token []byte, ok bool) {
	sp := -1
	for i := 0; i < len(b) && i < 3; i++ {
		if b[i] == ' ' {
			sp = i
			break
		}
	}
	if sp < 1 || sp > 2 || sp+1 >= len(b) {
		return 0, nil, false
	}
	for i := 0; i < sp; i++ {
		if b[i] < '0' || b[i] > '9' {
			return 0, nil, false
		}
		idx = idx*10 + int(b[i]-'0')
	}
	token = b[sp+1:]
	if len(token) > 40 {
		return 0, nil, false
	}
	for _, c := range token {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return 0, nil, false
		}
	}
	return idx, token, true
}

// Verify checks authstr ("<index> <token>") against data with the key
// configured for that index; nil, *UnknownKeyError, ErrBadDigest or
// *BadAuthStringError.
func (k *Keys) Verify(authstr string, data []byte) error {
	idx, token, err := ParseAuthString(authstr)
	if err != nil {
		return err
	}
	return k.VerifyToken(idx, token, data)
}

// VerifyBytes is Verify with the auth string in bytes; it allocates
// nothing when the signature is good (the receive path of every packet).
func (k *Keys) VerifyBytes(authstr, data []byte) error {
	idx, token, ok := parseAuth(authstr)
	if !ok {
		return &BadAuthStringError{AuthString: string(authstr)}
	}
	return k.verifyToken(idx, token, data)
}

// VerifyToken checks token against data under the key configured for idx.
func (k *Keys) VerifyToken(idx int, token string, data []byte) error {
	return k.verifyToken(idx, []byte(token), data)
}

func (k *Keys) verifyToken(idx int, token, data []byte) error {
	if _, ok := k.Method(idx); !ok {
		return &UnknownKeyError{Index: idx}
	}
	var buf [64]byte
	want := k.keys[idx].appendToken(buf[:0], data)
	if subtle.ConstantTimeCompare(want, token) != 1 {
		return ErrBadDigest
	}
	return nil
}
