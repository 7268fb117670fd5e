package capture

import (
	"bytes"
	"errors"
	"io"

	"hbgo/heartbeat/wire"
)

// readSerial splits a serial byte stream into its classic frames with
// stock's serial reader rules (PROTOCOL §12.5, wire.SerialReader); a damaged
// frame becomes a packet whose Err is the *wire.FrameError and whose
// Payload is the damaged bytes.
func readSerial(b []byte, file string) ([]Packet, error) {
	sr := wire.NewSerialReader(bytes.NewReader(b))
	var out []Packet
	for {
		frame, off, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var fe *wire.FrameError
		switch {
		case errors.As(err, &fe):
			out = append(out, Packet{File: file, Offset: fe.Offset, Payload: fe.Frame, Err: err})
		case err != nil:
			return out, err
		default:
			out = append(out, Packet{File: file, Offset: off, Payload: frame})
		}
	}
}
