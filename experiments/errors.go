package experiments

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"
)

// InvalidError is returned when an experiment fails validation. It holds
// every problem found, each with file:line:col, so a user fixes them all
// in one pass. Nothing has run when it is returned.
type InvalidError struct {
	File string
	Errs *multierror.Error
}

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Errs.Errors))
	for i, err := range e.Errs.Errors {
		msgs[i] = err.Error()
	}
	noun := "problems"
	if len(msgs) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("%s is invalid (%d %s):\n  %s", e.File, len(msgs), noun, strings.Join(msgs, "\n  "))
}

// Unwrap exposes the individual problems to errors.Is/As.
func (e *InvalidError) Unwrap() []error { return e.Errs.Errors }

// problems collects validation errors with positions, once each.
type problems struct {
	file  string
	errs  *multierror.Error
	seen  map[string]bool
	nodes map[*yaml.Node]bool // nodes reported through once
}

// once records a problem at n unless once already did: a param that is
// wrong in every cell of a sweep is reported for the first cell only.
func (p *problems) once(n *yaml.Node, format string, args ...any) {
	if p.nodes == nil {
		p.nodes = map[*yaml.Node]bool{}
	}
	if !p.nodes[n] {
		p.nodes[n] = true
		p.at(n, format, args...)
	}
}

// at records a problem at node n; a nil n (a --set on the command line)
// has no position in the file.
func (p *problems) at(n *yaml.Node, format string, args ...any) {
	line, col := 0, 0
	where := p.file
	if n != nil {
		line, col = n.Line, n.Column
		where = fmt.Sprintf("%s:%d:%d", p.file, line, col)
	}
	msg := where + ": " + fmt.Sprintf(format, args...)
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if !p.seen[msg] {
		p.seen[msg] = true
		p.errs = multierror.Append(p.errs, posError{line, col, msg})
	}
}

// err returns an *InvalidError with the problems sorted by position, or nil.
func (p *problems) err() error {
	if p.errs == nil {
		return nil
	}
	sort.SliceStable(p.errs.Errors, func(i, j int) bool {
		a, b := p.errs.Errors[i].(posError), p.errs.Errors[j].(posError)
		return a.line < b.line || a.line == b.line && a.col < b.col
	})
	return &InvalidError{File: p.file, Errs: p.errs}
}

type posError struct {
	line, col int
	msg       string
}

func (e posError) Error() string { return e.msg }
