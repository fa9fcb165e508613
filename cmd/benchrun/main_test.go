package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunPrintsTable(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-benchtime", "1ms", "-impl", "blocked"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Sgemm/impl=blocked/isa=generic/threads=1/m=256/n=256/k=256") {
		t.Errorf("table lacks the generic 256³ case:\n%s", out.String())
	}
}

func TestRunRejectsUnknownImpl(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-impl", "nosuch"}, &out, &errb); code == 0 {
		t.Fatal("unknown implementation accepted")
	}
	if !strings.Contains(errb.String(), "nosuch") {
		t.Errorf("stderr %q does not name the bad value", errb.String())
	}
}
