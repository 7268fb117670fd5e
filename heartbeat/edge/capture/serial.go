package capture

import (
	"errors"
	"io"

	"hbgo/heartbeat/core/wire"
)

// scanSerial splits a serial byte stream into its classic frames with
// stock's serial reader rules (PROTOCOL §12.5, wire.SerialReader) and hands
// each to fn as it ends; a damaged frame becomes a packet whose Err is the
// *wire.FrameError and whose Payload is the damaged bytes. Only the frame
// being read is held in memory (at most MaxMsg bytes).
func scanSerial(r io.Reader, file string, fn func(Packet)) error {
	sr := wire.NewSerialReader(r)
	for {
		frame, off, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var fe *wire.FrameError
		switch {
		case errors.As(err, &fe):
			fn(Packet{File: file, Offset: fe.Offset, Payload: fe.Frame, Err: err})
		case err != nil:
			return err
		default:
			fn(Packet{File: file, Offset: off, Payload: frame})
		}
	}
}
