package reports

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// TestSummaryIsGFM parses summary.md of the example report as GitHub
// renders it (goldmark with the GFM table extension) and checks that every
// table of the page is there with exactly its rows: a caption or sentence
// written on the line after a table would become one more row.
func TestSummaryIsGFM(t *testing.T) {
	in := example(t)
	dir := writeReport(t, in)
	src, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := build(&in)
	if err != nil {
		t.Fatal(err)
	}
	type tbl struct {
		caption string
		rows    int
	}
	var want []tbl // in the order summary.md writes them
	add := func(caption string, rows int) {
		if rows > 0 { // a table without rows is written as a sentence
			want = append(want, tbl{caption, rows})
		}
	}
	add("machine", len(p.Machine))
	add("configuration lines", len(p.MachineRaw))
	for _, w := range p.Workloads {
		add(w.Options.Caption, len(w.Options.Rows))
		add(w.Sources.Caption, len(w.Sources.Rows))
		for _, s := range w.Sections {
			for _, tb := range s.Tables {
				add(tb.Caption, len(tb.Rows))
			}
		}
	}
	for _, s := range p.Kernels {
		for _, tb := range s.Tables {
			add(tb.Caption, len(tb.Rows))
		}
	}
	add(p.Ceilings.Caption, len(p.Ceilings.Rows))
	add(p.Assumptions.Caption, len(p.Assumptions.Rows))

	doc := goldmark.New(goldmark.WithExtensions(extension.Table)).Parser().Parse(text.NewReader(src))
	var got []int
	err = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if tb, ok := n.(*extast.Table); ok && entering {
			rows := 0
			for c := tb.FirstChild(); c != nil; c = c.NextSibling() {
				if _, ok := c.(*extast.TableRow); ok {
					rows++
				}
			}
			got = append(got, rows)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("summary.md has %d tables under GFM, the page %d: rows %v, want %+v", len(got), len(want), got, want)
	}
	for i, w := range want {
		if got[i] != w.rows {
			t.Errorf("table %d (%q) has %d rows under GFM, want %d", i+1, w.caption, got[i], w.rows)
		}
	}
}
