package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/results/report"
)

// reportOf runs testdata/report.yaml and writes its report into a temp
// dir, which it returns.
func reportOf(t *testing.T, s state) string {
	t.Helper()
	if out, code := s.run(t, "run", "testdata/report.yaml", "-j", "2"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	dir := filepath.Join(t.TempDir(), "report")
	out, code := s.run(t, "report", "testdata/report.yaml", "-o", dir)
	if code != 0 || !strings.Contains(out, "5 entries (3 figures), 16 cited numbers; 0 of 4 cells without a result") {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	return dir
}

func TestReportAndCitedExport(t *testing.T) {
	s := newState(t)
	dir := reportOf(t, s)
	for _, f := range []string{"index.html", "fig-1.svg", "fig-2.svg", "fig-3.svg", "cited.csv", "cited.tex"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	csvPath := filepath.Join(t.TempDir(), "cited.csv")
	if out, code := s.run(t, "export", "--cited", "testdata/report.yaml", "-o", csvPath); code != 0 {
		t.Fatalf("export --cited: exit %d\n%s", code, out)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 17 || recs[1][0] != "cli-report:spec.alpha@alpha=0.8,seed=0" {
		t.Fatalf("cited.csv: %v, %v", recs, err)
	}
	same, _ := os.ReadFile(filepath.Join(dir, "cited.csv"))
	if got, _ := os.ReadFile(csvPath); !bytes.Equal(got, same) {
		t.Errorf("export --cited and the report's cited.csv differ")
	}
	texPath := filepath.Join(t.TempDir(), "cited.tex")
	if out, code := s.run(t, "export", "--cited", "cli-report", "-o", texPath); code != 0 {
		t.Fatalf("export --cited by name: exit %d\n%s", code, out)
	}
	tex, _ := os.ReadFile(texPath)
	if !strings.Contains(string(tex), `\newcommand{\elcliDashreportColonspecDotalphaAtalphaEqZeroDotEightCommaseedEqZero}{`) {
		t.Errorf("cited.tex:\n%s", tex)
	}
	// Why works on every id the report cites.
	if out, code := s.run(t, "why", recs[1][0]); code != 0 || !strings.Contains(out, "cli-report:data@alpha=0.8,seed=0") {
		t.Errorf("why %s: exit %d\n%s", recs[1][0], code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--cited", "testdata/report.yaml", "-o", "x.npy"}, "cited numbers are written as .csv or .tex"},
		{[]string{"export", "--cited", "no-such-exp", "-o", csvPath, "--force"}, `no cited numbers of experiment "no-such-exp"`},
		{[]string{"export", "--cited", "cli-report", "-o", csvPath}, "cited.csv: file already exists; pass --force to replace it"},
		{[]string{"report", "testdata/report.yaml"}, "report: want -o DIR"},
		{[]string{"report", "--help"}, "kind: spectrum"},
		{[]string{"report", "testdata/invalid.yaml", "-o", t.TempDir()}, "testdata/invalid.yaml:1:7"},
	} {
		if out, code := s.run(t, c.args...); code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want an error with %q:\n%s", c.args, code, c.want, out)
		}
	}
}

// A report of other params than the run names every result it leaves out
// and why, in the form `eigenlab plan` uses.
func TestReportNamesStaleResults(t *testing.T) {
	s := newState(t)
	if out, code := s.run(t, "run", "testdata/report.yaml", "-j", "2"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	out, code := s.run(t, "report", "testdata/report.yaml", "--set", "n=90", "-o", filepath.Join(t.TempDir(), "stale"))
	for _, want := range []string{"left out 8 stale results", "\nstale   cli-report:data@alpha=0.8,seed=0: param n changed: 80 -> 90\n",
		"\nstale   cli-report:spec@alpha=0.8,seed=0: input x: cli-report:data@alpha=0.8,seed=0 has no current result\n"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("report --set n=90: exit %d, want %q in\n%s", code, want, out)
		}
	}
}

const chromium = "/usr/bin/chromium"

// TestReportInBrowser opens the report in headless Chromium (Debian's
// chromium package; required when CI is set). It checks that the page
// parses into a DOM with every figure, cited number and section; that
// every href and src of that DOM resolves to a file of the report or an
// element id; and that each figure renders: a screenshot of the SVG as
// the page embeds it (an <img>) is not blank, where a broken image is.
func TestReportInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %s is missing: scripts/setup.sh installs it (apt-get install chromium)", chromium)
		}
		t.Skipf("%s not installed (apt-get install chromium, or EIGENLAB_BROWSER=1 make setup)", chromium)
	}
	dir := reportOf(t, newState(t))
	dom := browser(t, "--dump-dom", "file://"+filepath.Join(dir, "index.html"))
	for _, want := range []string{`<img src="fig-1.svg"`, `<img src="fig-2.svg"`, `<img src="fig-3.svg"`,
		`id="cli-report:spec.alpha@alpha=1.2,seed=1"`, `id="cited"`, "Cell by cell, spec.alpha exceeded 1 in", "name: cli-report"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM Chromium built lacks %q", want)
		}
	}
	domPath := filepath.Join(dir, "dom.html")
	if err := os.WriteFile(domPath, []byte(dom), 0o644); err != nil {
		t.Fatal(err)
	}
	if bad, err := report.CheckLinks(domPath); err != nil || len(bad) > 0 {
		t.Errorf("links in the browser's DOM that resolve to nothing: %v (%v)", bad, err)
	}
	srcs := regexp.MustCompile(`<img src="([^"]+)"`).FindAllStringSubmatch(dom, -1)
	if len(srcs) != 3 {
		t.Fatalf("%d images in the DOM, want 3", len(srcs))
	}
	for _, m := range append(srcs, []string{"", "absent.svg"}) {
		ink := inkOf(t, dir, m[1])
		t.Logf("image %s: %.2f%% of its box drawn", m[1], 100*ink)
		if loaded := ink > 0.01; loaded != (m[1] != "absent.svg") {
			t.Errorf("image %s: %.2f%% of its box is drawn", m[1], 100*ink)
		}
	}
	if ink := inkOfPage(t, filepath.Join(dir, "index.html"), 1000, 2400, 0); ink < 0.02 {
		t.Errorf("the whole page is blank: %.2f%% drawn", 100*ink)
	}
}

// inkOf shows src as the report does, in an <img> on a white 600×400
// page, and returns the fraction of the screenshot that is not white,
// leaving out a 24-pixel margin: Chromium draws a broken image as a frame
// with an icon in its corner.
func inkOf(t *testing.T, dir, src string) float64 {
	t.Helper()
	page := filepath.Join(dir, "check-"+strings.TrimSuffix(src, ".svg")+".html")
	html := fmt.Sprintf(`<!DOCTYPE html><html><body style="margin:0;background:#fff"><img src=%q alt="" style="display:block;width:600px;height:400px"></body></html>`, src)
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	return inkOfPage(t, page, 600, 400, 24)
}

func inkOfPage(t *testing.T, page string, w, h, margin int) float64 {
	t.Helper()
	shot := page + ".png"
	browser(t, "--hide-scrollbars", fmt.Sprintf("--window-size=%d,%d", w, h), "--screenshot="+shot, "file://"+page)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return ink(img, margin)
}

// ink is the fraction of pixels that are not near white, inside a margin.
func ink(img image.Image, margin int) float64 {
	b := img.Bounds().Inset(margin)
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r+g+bl < 3*0xf000 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// browser runs headless Chromium with its own profile and returns stdout.
func browser(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--disable-gpu", "--no-sandbox", "--user-data-dir=" + t.TempDir()}
	var out, errOut bytes.Buffer
	c := exec.CommandContext(ctx, chromium, append(base, args...)...)
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}
