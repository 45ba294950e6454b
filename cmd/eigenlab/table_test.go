package main

import (
	"bytes"
	"testing"

	"github.com/eigenlab/eigenlab/runner"
)

// An output that some instances of a stage do not have shows as "-", not 0.
func TestPrintScalarsMarksAbsentOutputs(t *testing.T) {
	var b bytes.Buffer
	printScalars(&b, []runner.ScalarRow{
		{Stage: "spec", Cell: "view=spatial", Values: map[string]float64{"alpha": 1.5, "alpha_center": 1.25}},
		{Stage: "spec", Cell: "view=full", Values: map[string]float64{"alpha": 0.75}},
	})
	want := "          spec  alpha  alpha_center\n" +
		"  view=spatial    1.5          1.25\n" +
		"     view=full   0.75             -\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
