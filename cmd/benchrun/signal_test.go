package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestInterruptDuringCeilings cancels the command's context (what Ctrl-C
// does) 300 ms into a full ceiling measurement and checks the command exits
// 130 within a second of it (issue 15 defect 12: it took about 13 s).
func TestInterruptDuringCeilings(t *testing.T) {
	for _, args := range [][]string{{"detect", "--ceilings", "full"}} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		var o, e bytes.Buffer
		start := time.Now()
		code := execute(ctx, args, &o, &e)
		if took := time.Since(start); code != exitInterrupted || took > 1300*time.Millisecond {
			t.Errorf("%v: exit %d after %v (%s), want 130 within a second of the interrupt", args, code, took, e.String())
		}
		cancel()
	}
}
