package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
	"github.com/eigenlab/eigenlab/results"
)

// Citations lists every cited number of an experiment as the cited table
// holds it (the latest value of each id), in id order, with the columns
// of the exports; Run, Status and Params are left empty (`eigenlab why ID`
// gives them).
func Citations(ctx context.Context, db *results.DB, experiment string) ([]Cited, error) {
	cs, err := db.Citations(ctx, experiment)
	if err != nil {
		return nil, err
	}
	out := make([]Cited, len(cs))
	for i, c := range cs {
		rest := strings.TrimPrefix(c.ID, experiment+":")
		stage, tail, _ := strings.Cut(rest, ".")
		out[i] = Cited{ID: c.ID, Value: c.Value, Stage: stage, Output: c.Output,
			Cell: strings.TrimPrefix(strings.TrimPrefix(tail, c.Output), "@"), Digest: c.Digest, Execution: c.ExecutionID}
	}
	return out, nil
}

// csvHeader names the columns of a cited-number CSV.
var csvHeader = []string{"id", "value", "digest", "execution", "stage", "output", "cell"}

// WriteCSV writes cited numbers as CSV with a header row: id, value
// (shortest text that reads back to the same float64; NaN for NaN),
// digest (of the 0-d artifact), execution (its id in the provenance
// database), stage, output and cell.
func WriteCSV(w io.Writer, cited []Cited) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, c := range cited {
		rec := []string{c.ID, formatValue(c.Value), c.Digest.String(), strconv.FormatInt(c.Execution, 10), c.Stage, c.Output, c.Cell}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteTeX writes one \newcommand per cited number, named by MacroName,
// with its id in a comment, so that a manuscript can \input the file and
// write \elplantedDashsweep...{} where the number goes.
func WriteTeX(w io.Writer, cited []Cited) error {
	fmt.Fprintf(w, "%% Cited numbers written by eigenlab. Each macro is \\el followed by its id spelled in letters\n")
	fmt.Fprintf(w, "%% (README \"Reports\"); `eigenlab why ID` gives the provenance of each.\n")
	for _, c := range cited {
		if _, err := fmt.Fprintf(w, "\\newcommand{\\%s}{%s} %% %s\n", MacroName(c.ID), formatValue(c.Value), c.ID); err != nil {
			return err
		}
	}
	return nil
}

// formatValue is the shortest text that parses back to v.
func formatValue(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// macroWords spell the characters of an id that are not lowercase
// letters. Every word starts with an uppercase letter and no word is a
// prefix of another, so the spelling can be read back: the mapping from
// ids to macro names is one to one.
var macroWords = map[rune]string{
	'0': "Zero", '1': "One", '2': "Two", '3': "Three", '4': "Four",
	'5': "Five", '6': "Six", '7': "Seven", '8': "Eight", '9': "Nine",
	':': "Colon", '.': "Dot", '@': "At", '=': "Eq", ',': "Comma",
	'-': "Dash", '_': "Score", '+': "Plus", '/': "Slash",
}

// MacroName is the LaTeX macro name (without the backslash) of a cited
// id: "el" and then the id with lowercase letters kept, an uppercase
// letter X written "Capx", digits and : . @ = , - _ + / spelled as Zero..Nine,
// Colon, Dot, At, Eq, Comma, Dash, Score, Plus, Slash, and any other
// character as "Uni", its code point in hex digits written a..p (0..f),
// and "Q". For example "sweep:spec.alpha@alpha=0.5" is
// \elsweepColonspecDotalphaAtalphaEqZeroDotFive.
func MacroName(id string) string {
	var b strings.Builder
	b.WriteString("el")
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteString("Cap")
			b.WriteRune(unicode.ToLower(r))
		case macroWords[r] != "":
			b.WriteString(macroWords[r])
		default:
			b.WriteString("Uni")
			for _, h := range strconv.FormatInt(int64(r), 16) {
				b.WriteRune('a' + rune(strings.IndexRune("0123456789abcdef", h)))
			}
			b.WriteString("Q")
		}
	}
	return b.String()
}

// ExportCited writes cited numbers to path as CSV (.csv) or LaTeX macros
// (.tex). The file appears atomically, mode 0644. Unless replace is set,
// an existing path is left untouched and the error wraps fs.ErrExist
// (atomicfile.WriteNew).
func ExportCited(path string, cited []Cited, replace bool) error {
	var write func(io.Writer, []Cited) error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		write = WriteCSV
	case ".tex":
		write = WriteTeX
	default:
		return fmt.Errorf("export %s: cited numbers are written as .csv or .tex, not %q", path, filepath.Ext(path))
	}
	save := atomicfile.WriteNew
	if replace {
		save = atomicfile.Write
	}
	if err := save(path, atomicfile.UserMode, func(w io.Writer) error { return write(w, cited) }); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return nil
}

// writeAtomic writes a file of the report with atomicfile.Write, so a
// failed write leaves nothing at path.
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, atomicfile.UserMode, write); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
