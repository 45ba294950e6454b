package report

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/eigenlab/eigenlab/ndarray"
)

func TestMacroName(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"sweep:spec.alpha@alpha=0.5,seed=0", "elsweepColonspecDotalphaAtalphaEqZeroDotFiveCommaseedEqZero"},
		{"planted-sweep:spectrum.ed", "elplantedDashsweepColonspectrumDoted"},
		{"e:My_Stage.r2@k=-1e+06", "eleColonCapmyScoreCapstageDotrTwoAtkEqDashOneePlusZeroSix"},
		{"e:s.o@path=a/b", "eleColonsDotoAtpathEqaSlashb"},
		{"e:s.o@name=é x", "eleColonsDotoAtnameEqUniojQUnicaQx"},
		{"", "el"},
	} {
		if got := MacroName(tc.id); got != tc.want {
			t.Errorf("MacroName(%q) = %s, want %s", tc.id, got, tc.want)
		}
		if got := decodeMacro(t, MacroName(tc.id)); got != tc.id {
			t.Errorf("decoding MacroName(%q) gives %q", tc.id, got)
		}
	}
}

// No spelled word is a prefix of another, so a macro name reads back one
// way only: MacroName is one to one.
func TestMacroWordsArePrefixFree(t *testing.T) {
	words := []string{"Cap", "Uni"}
	for _, w := range macroWords {
		words = append(words, w)
	}
	for _, a := range words {
		if !unicode.IsUpper(rune(a[0])) || strings.ToLower(a[1:]) != a[1:] {
			t.Errorf("word %q: want an uppercase letter then lowercase letters", a)
		}
		for _, b := range words {
			if a != b && strings.HasPrefix(b, a) {
				t.Errorf("%q is a prefix of %q", a, b)
			}
		}
	}
}

// decodeMacro reads a macro name back to its id, failing the test if it
// does not parse.
func decodeMacro(t *testing.T, name string) string {
	t.Helper()
	byWord := map[string]rune{}
	for r, w := range macroWords {
		byWord[w] = r
	}
	rest, ok := strings.CutPrefix(name, "el")
	if !ok {
		t.Fatalf("%s does not start with el", name)
	}
	var out strings.Builder
	for rest != "" {
		switch r := rune(rest[0]); {
		case r >= 'a' && r <= 'z':
			out.WriteRune(r)
			rest = rest[1:]
		case strings.HasPrefix(rest, "Cap"):
			out.WriteRune(unicode.ToUpper(rune(rest[3])))
			rest = rest[4:]
		case strings.HasPrefix(rest, "Uni"):
			end := strings.IndexByte(rest, 'Q')
			var hex strings.Builder
			for _, c := range rest[3:end] {
				hex.WriteByte("0123456789abcdef"[c-'a'])
			}
			n, err := strconv.ParseInt(hex.String(), 16, 32)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out.WriteRune(rune(n))
			rest = rest[end+1:]
		default:
			found := false
			for w, r := range byWord {
				if strings.HasPrefix(rest, w) {
					out.WriteRune(r)
					rest, found = rest[len(w):], true
					break
				}
			}
			if !found {
				t.Fatalf("%s: cannot read %q", name, rest)
			}
		}
	}
	return out.String()
}

var exampleCited = []Cited{
	{ID: "e:spec.alpha@alpha=1,seed=0", Value: 0.30000000000000004, Stage: "spec", Output: "alpha", Cell: "alpha=1,seed=0", Digest: ndarray.Digest{1, 2}, Execution: 12},
	{ID: "e:spec.ed", Value: math.NaN(), Stage: "spec", Output: "ed", Digest: ndarray.Digest{3}, Execution: 13},
	{ID: `e:s.o@name=a "b",c`, Value: -1.5e-300, Stage: "s", Output: "o", Cell: `name=a "b",c`, Digest: ndarray.Digest{4}, Execution: 14},
}

// The CSV reads back to the same ids, exact values (NaN included) and
// provenance columns.
func TestCSVRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, exampleCited); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "id,value,digest,execution,stage,output,cell" || len(recs) != len(exampleCited)+1 {
		t.Fatalf("header %v, %d records", recs[0], len(recs))
	}
	for i, rec := range recs[1:] {
		want := exampleCited[i]
		v, err := strconv.ParseFloat(rec[1], 64)
		d, err2 := ndarray.ParseDigest(rec[2])
		ex, err3 := strconv.ParseInt(rec[3], 10, 64)
		same := v == want.Value || math.IsNaN(v) && math.IsNaN(want.Value)
		if err != nil || err2 != nil || err3 != nil || !same || rec[0] != want.ID || d != want.Digest || ex != want.Execution ||
			rec[4] != want.Stage || rec[5] != want.Output || rec[6] != want.Cell {
			t.Errorf("record %d = %q (%v %v %v), want %+v", i, rec, err, err2, err3, want)
		}
	}
}

func TestWriteTeX(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTeX(&b, exampleCited[:2]); err != nil {
		t.Fatal(err)
	}
	want := `% Cited numbers written by eigenlab. Each macro is \el followed by its id spelled in letters
% (README "Reports"); ` + "`eigenlab why ID`" + ` gives the provenance of each.
\newcommand{\eleColonspecDotalphaAtalphaEqOneCommaseedEqZero}{0.30000000000000004} % e:spec.alpha@alpha=1,seed=0
\newcommand{\eleColonspecDoted}{NaN} % e:spec.ed
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
