package page

import (
	"fmt"
	"io"
)

// A Writer remembers the first write error so writers can write without
// checking every call.
type Writer struct {
	w   io.Writer
	err error
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Printf writes a formatted string, unless an earlier write failed.
func (e *Writer) Printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// Println writes s and a newline, unless an earlier write failed.
func (e *Writer) Println(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s+"\n")
	}
}

// Err is the first write error, nil when every write succeeded.
func (e *Writer) Err() error { return e.err }
