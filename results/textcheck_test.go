package results

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// TestNonTextIsRefusedWithoutEcho parses inputs holding binary data, escape
// sequences, invalid UTF-8 and over-long lines, and checks each is refused
// by a *TextError naming the file and the line and describing the byte
// without echoing it (issue 15 defect 9: a binary file's bytes, escape
// sequences included, were printed to the terminal as a benchmark name).
func TestNonTextIsRefusedWithoutEcho(t *testing.T) {
	const head = "goos: linux\nBenchmarkA-2 10 5 ns/op\n"
	for _, tc := range []struct{ data, want string }{
		{"\x7fELF\x02\x01\x01\x00", "in.txt:1: not a results file (byte 1 of the line is 0x7f, not text)"},
		{head + "BenchmarkX\x00\x01 10 5 ns/op\n", "in.txt:3: not a results file (byte 11 of the line is 0x00, not text)"},
		{head + "BenchmarkX\x1b[31mRED 10 5 ns/op\n", "in.txt:3: not a results file (byte 11 of the line is 0x1b, not text)"},
		{head + "BenchmarkX\u009b31m 10 5 ns/op\n", "in.txt:3: not a results file (byte 11 of the line is 0xc2, not text)"},
		{head + "cpu: caf\xe9\n", "in.txt:3: not a results file (byte 9 of the line is 0xe9, not text)"},
		{head + "BenchmarkX-2\x00", "in.txt:3: not a results file (byte 13"}, // no final newline
		{head + strings.Repeat("x", maxLine) + "\n", "in.txt:3: not a results file (a line longer than 65535 bytes)"},
	} {
		// One byte at a time, so lines arrive in pieces.
		_, err := Parse(iotest.OneByteReader(strings.NewReader(tc.data)), "in.txt")
		var te *TextError
		if !errors.As(err, &te) || err.Error() != tc.want && !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want a *TextError %q", tc.data[len(tc.data)-min(len(tc.data), 30):], err, tc.want)
		}
	}
}

// TestTextPassesUnchanged parses text with CRLF lines, tabs, non-ASCII
// names, a line at the length limit and no final newline, and checks every
// result arrives.
func TestTextPassesUnchanged(t *testing.T) {
	long := "note: " + strings.Repeat("é", (maxLine-8)/2) + "\n" // maxLine-1 bytes with the newline
	data := "goos: linux\r\ncpu: Ünïcode\tCPU\r\n" + long + "BenchmarkA-2 10 5 ns/op\r\nBenchmarkB-2\t10\t7 ns/op"
	if len(long) > maxLine {
		t.Fatalf("long line is %d bytes, want at most %d", len(long), maxLine)
	}
	rs, err := Parse(iotest.HalfReader(strings.NewReader(data)), "in.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].Name != "B-2" || rs[1].Values[0].Value != 7 || rs[0].Config[1].Value != "Ünïcode\tCPU" {
		t.Errorf("results %+v", rs)
	}
}
