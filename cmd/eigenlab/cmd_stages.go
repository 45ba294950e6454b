package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/eigenlab/eigenlab/stages"
)

func init() {
	register("stages", "[KIND]", "every stage kind with its inputs, outputs, params, defaults and docs", cmdStages)
}

func cmdStages(_ context.Context, args []string) error {
	kinds := stages.Kinds()
	if len(args) > 0 {
		kinds = args
	}
	for _, k := range kinds {
		s, ok := stages.Lookup(k)
		if !ok {
			return usagef("unknown stage kind %q; known kinds: %s", k, strings.Join(stages.Kinds(), ", "))
		}
		writeStage(os.Stdout, s)
	}
	return nil
}

func writeStage(w io.Writer, s stages.Stage) {
	fmt.Fprintf(w, "%s (version %s)\n", s.Kind(), s.Version())
	for _, line := range strings.Split(strings.TrimSpace(s.Doc()), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
	for _, in := range s.Inputs() {
		opt := ""
		if in.Optional {
			opt = " (optional)"
		}
		fmt.Fprintf(w, "  input  %-16s %s%s\n", in.Name, in.Doc, opt)
	}
	for _, p := range s.Params() {
		fmt.Fprintf(w, "  param  %-16s %-15s %s%s\n", p.Name, p.Type, p.Doc, constraint(p))
	}
	fmt.Fprintln(w)
}

// constraint renders a param's default, range and choices.
func constraint(p stages.ParamSpec) string {
	var parts []string
	switch {
	case p.Default != nil:
		parts = append(parts, "default "+stages.FormatValue(p.Default))
	case p.Optional:
		parts = append(parts, "optional")
	default:
		parts = append(parts, "required")
	}
	if p.Min != nil {
		parts = append(parts, fmt.Sprintf("min %v", *p.Min))
	}
	if p.Max != nil {
		parts = append(parts, fmt.Sprintf("max %v", *p.Max))
	}
	if len(p.Choices) > 0 {
		parts = append(parts, "one of "+strings.Join(p.Choices, "|"))
	}
	return " [" + strings.Join(parts, "; ") + "]"
}
