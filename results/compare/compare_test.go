package compare

import (
	"bytes"
	"os"
	"testing"
)

func TestPrint(t *testing.T) {
	ins, err := ReadInputs([]string{"testdata/old.txt", "testdata/new.txt"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, ins, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(buf.Bytes())
	opt := DefaultOptions()
	opt.Col = "/isa"
	opt.Row = "/m"
	opt.Filter = "/impl:blocked"
	buf.Reset()
	if err := Write(&buf, ins[1:], opt); err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(buf.Bytes())
}
