package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"
)

// FragSize is the size of one serial write (PROTOCOL §3.5, FRAGSIZE).
const FragSize = 512

// FrameError is a damaged classic frame in a serial stream; the reader
// goes on with the next frame after returning it.
type FrameError struct {
	Offset int64  // stream offset of the frame's ">>>" line
	Reason string // e.g. "frame start inside frame"
	Frame  []byte // the damaged bytes, after termios processing
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("serial frame at byte %d: %s", e.Offset, e.Reason)
}

// SerialReader splits a serial byte stream into classic frames the way
// stock's serial reader does (PROTOCOL §12.5): lines end in "\n"; lines are
// discarded until one begins with ">>>"; lines are then collected until one
// begins with "<<<". It first applies stock's termios input processing,
// ISTRIP then IGNCR (clear the 8th bit, then drop CR), which is idempotent,
// so raw captures and tty input give the same frames.
type SerialReader struct {
	r       *bufio.Reader
	off     int64 // stream offset of the next raw byte
	line    []byte
	lineOff int64
	frame   []byte
	start   int64 // stream offset of the current frame
	in      bool  // inside a frame
	skip    bool  // discarding the rest of an over-long line
	err     error // read error to return once the current frame is reported
}

// NewSerialReader returns a reader of the classic frames in r.
func NewSerialReader(r io.Reader) *SerialReader {
	return &SerialReader{r: bufio.NewReader(r)}
}

// Next returns the next complete frame (">>>" line through "<<<" line, each
// line ending in "\n") and its stream offset. A damaged frame is reported
// as a *FrameError (a ">>>" line inside a frame, a frame longer than
// MaxMsg, a frame cut by the end of the stream) and reading may go on; at
// the end of the stream it returns io.EOF.
func (s *SerialReader) Next() (frame []byte, off int64, err error) {
	for {
		if s.err != nil {
			if s.in && len(s.frame) > 0 {
				fe := &FrameError{Offset: s.start, Reason: "frame cut by end of stream", Frame: s.frame}
				s.in, s.frame = false, nil
				return nil, fe.Offset, fe
			}
			return nil, s.off, s.err
		}
		c, err := s.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			s.err = err
			if s.in && len(s.line) > 0 {
				s.frame = append(s.frame, s.line...)
			}
			continue
		}
		s.off++
		c &= 0x7f // ISTRIP
		if c == '\r' {
			continue // IGNCR
		}
		if len(s.line) == 0 {
			s.lineOff = s.off - 1
		}
		if c != '\n' {
			// Outside a frame only a line's first three bytes matter,
			// unless they open a frame.
			if s.in || len(s.line) < 3 || string(s.line[:3]) == ">>>" {
				s.line = append(s.line, c)
			}
			if len(s.frame)+len(s.line) > MaxMsg {
				start, frame := s.start, s.frame
				if !s.in {
					start, frame = s.lineOff, nil
				}
				fe := &FrameError{Offset: start, Reason: "frame longer than maxmsg", Frame: frame}
				s.in, s.frame, s.line = false, nil, s.line[:0]
				s.skip = true
				return nil, fe.Offset, fe
			}
			continue
		}
		if s.skip {
			// The rest of an over-long line is not a frame start.
			s.skip = false
			s.line = s.line[:0]
			continue
		}
		line := s.line
		s.line = s.line[:0]
		lineOff := s.lineOff
		begins := func(p string) bool { return len(line) >= 3 && string(line[:3]) == p }
		if !s.in {
			if begins(">>>") {
				s.in, s.start = true, lineOff
				s.frame = append(append(s.frame[:0:0], line...), '\n')
			}
			continue
		}
		if begins(">>>") {
			fe := &FrameError{Offset: s.start, Reason: "frame start inside frame", Frame: s.frame}
			s.start = lineOff
			s.frame = append(append([]byte(nil), line...), '\n')
			return nil, fe.Offset, fe
		}
		s.frame = append(append(s.frame, line...), '\n')
		if begins("<<<") {
			f := s.frame
			s.in, s.frame = false, nil
			return f, s.start, nil
		}
	}
}

// SerialChunks splits an encoded message into the pieces stock writes to a
// serial port and the pause it makes between them: 512-byte chunks and
// 512/(baud/8) seconds, about 213 ms at 19200 baud (PROTOCOL §12.5).
func SerialChunks(b []byte, baud int) (chunks [][]byte, pause time.Duration) {
	for len(b) > FragSize {
		chunks = append(chunks, b[:FragSize])
		b = b[FragSize:]
	}
	if len(b) > 0 {
		chunks = append(chunks, b)
	}
	bytesPerSec := int64(max(baud/8, 1))
	return chunks, time.Duration(FragSize * int64(time.Second) / bytesPerSec)
}
