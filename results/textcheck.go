package results

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// maxLine is the longest line a results file may hold, newline included:
// just under the 64 KiB the benchmark format's line scanner takes.
const maxLine = bufio.MaxScanTokenSize - 1

// A TextError is a results file that is not text: a byte that is not valid
// UTF-8 or is a control character other than tab, carriage return and line
// feed, or a line longer than the format's reader takes. Its message
// describes the byte rather than echoing it, so a binary file given by
// mistake cannot write escape sequences to the terminal.
type TextError struct {
	File   string
	Line   int
	Column int  // 1-based byte offset in the line; 0 for a long line
	Byte   byte // the first byte that is not text
}

func (e *TextError) Error() string {
	if e.Column == 0 {
		return fmt.Sprintf("%s:%d: not a results file (a line longer than %d bytes)", e.File, e.Line, maxLine)
	}
	return fmt.Sprintf("%s:%d: not a results file (byte %d of the line is %#02x, not text)", e.File, e.Line, e.Column, e.Byte)
}

// textReader passes its input through one complete line at a time, failing
// before the first line that is not text (see TextError). Holding back the
// partial line keeps the reader behind it from parsing half a line and
// reporting that instead.
type textReader struct {
	br   *bufio.Reader
	name string
	line int    // lines read so far
	rest []byte // of the current line, not yet passed on
	err  error  // the error to return once rest is passed on
}

func newTextReader(r io.Reader, name string) *textReader {
	return &textReader{br: bufio.NewReaderSize(r, maxLine), name: name}
}

func (t *textReader) Read(p []byte) (int, error) {
	for len(t.rest) == 0 {
		if t.err != nil {
			return 0, t.err
		}
		line, err := t.br.ReadSlice('\n')
		t.line++
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			t.err = &TextError{File: t.name, Line: t.line}
			return 0, t.err
		case err != nil:
			t.err = err // io.EOF after the last line, or a read error
		}
		if col, b, ok := firstNonText(line); !ok {
			t.err = &TextError{File: t.name, Line: t.line, Column: col, Byte: b}
			return 0, t.err
		}
		t.rest = line
	}
	n := copy(p, t.rest)
	t.rest = t.rest[n:]
	return n, nil
}

// firstNonText returns the 1-based offset and value of the first byte of
// line that is not text, and false; or true if there is none.
func firstNonText(line []byte) (int, byte, bool) {
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && size <= 1 || unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return i + 1, line[i], false
		}
		i += size
	}
	return 0, 0, true
}
