package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/runner"
)

// An output that some instances of a stage do not have shows as "-", not 0.
func TestPrintScalarsMarksAbsentOutputs(t *testing.T) {
	var b bytes.Buffer
	printScalars(&b, []runner.ScalarRow{
		{Stage: "spec", Cell: "view=spatial", Values: map[string]float64{"alpha": 1.5, "alpha_center": 1.25}},
		{Stage: "spec", Cell: "view=full", Values: map[string]float64{"alpha": 0.75}},
	}, func(string) int { return 0 }, "exp.yaml")
	want := "          spec  alpha  alpha_center\n" +
		"  view=spatial    1.5          1.25\n" +
		"     view=full   0.75             -\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// A wide sweep's table says how many cells of a stage the run left out of
// its summary (runner.Options.KeepScalars) and where every value is.
func TestPrintScalarsNotesLeftOutRows(t *testing.T) {
	var rows []runner.ScalarRow
	for i := range tableRows {
		rows = append(rows, runner.ScalarRow{Stage: "spec", Cell: fmt.Sprintf("seed=%d", i), Values: map[string]float64{"alpha": 1}})
	}
	rows = append(rows, runner.ScalarRow{Stage: "fit", Cell: "", Values: map[string]float64{"r2": 0.5}})
	leftOut := map[string]int{"spec": 3}
	var b bytes.Buffer
	printScalars(&b, rows, func(stage string) int { return leftOut[stage] }, "sweep.yaml")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if want := 1 + tableRows + 1 + 2; len(lines) != want {
		t.Fatalf("%d lines, want %d (header, %d cells, the note, the second stage's table)", len(lines), want, tableRows)
	}
	note := "  ... and 3 more cells of spec (every value: eigenlab export --cited sweep.yaml -o values.csv)"
	if lines[tableRows+1] != note {
		t.Errorf("line %d: %q, want %q", tableRows+1, lines[tableRows+1], note)
	}
	if strings.Contains(b.String(), "more cells of fit") {
		t.Errorf("a note for a stage with nothing left out:\n%s", b.String())
	}
}
