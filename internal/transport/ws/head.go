package ws

import (
	"errors"
	"io"
)

// maxHeadSize bounds the HTTP upgrade request.
const maxHeadSize = 16 << 10

var errHeadTooLarge = errors.New("ws: upgrade request too large")

// headReader hands the upgrader the bytes of the HTTP request head and no
// more: it stops after the blank line, so a frame the client pipelines
// right behind its request stays here (rest) for the Conn's reader instead
// of vanishing into the upgrader's pooled bufio.Reader.
//
// A headReader is not safe for concurrent use.
type headReader struct {
	r     io.Reader
	buf   [4096]byte
	start int
	end   int
	match int // how much of "\r\n\r\n" ends the bytes handed out
	given int // bytes handed out
	done  bool
}

var headEnd = [4]byte{'\r', '\n', '\r', '\n'}

func (h *headReader) Read(p []byte) (int, error) {
	if h.done {
		return 0, io.EOF
	}
	if h.start == h.end {
		n, err := h.r.Read(h.buf[:])
		h.start, h.end = 0, n
		if n == 0 {
			return 0, err
		}
	}
	n := 0
	for n < len(p) && h.start < h.end {
		b := h.buf[h.start]
		p[n] = b
		n++
		h.start++
		switch {
		case b == headEnd[h.match]:
			h.match++
		case b == '\r':
			h.match = 1
		default:
			h.match = 0
		}
		if h.match == len(headEnd) {
			h.done = true
			break
		}
	}
	h.given += n
	if h.given > maxHeadSize {
		return n, errHeadTooLarge
	}
	return n, nil
}

// rest returns the bytes read past the request head.
func (h *headReader) rest() []byte { return h.buf[h.start:h.end] }
