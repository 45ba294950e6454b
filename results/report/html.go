package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

//go:embed page.html.tmpl
var pageTemplate string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"inc":   func(i int) int { return i + 1 },
	"num":   func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) },
	"full":  formatValue,
	"isNaN": math.IsNaN,
	"join":  strings.Join,
	"cells": func(n int) string { return strconv.Itoa(n) + " " + pluralCells(n) },
	"href":  fragment,
}).Parse(pageTemplate))

// fragment is the link to the element with this id: "#" and the id with
// every byte that a URL fragment cannot hold percent-encoded (RFC 3986),
// so cited ids stay readable in links ("#exp:stage.alpha@alpha=1,seed=0").
func fragment(id string) template.URL {
	const ok = "-._~!$&'()*+,;=:@/?"
	var b strings.Builder
	b.WriteByte('#')
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(ok, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return template.URL(b.String())
}

// HTML renders the page. It has no scripts and loads nothing from outside
// the report directory.
func (p *Page) HTML(w io.Writer) error {
	return pageTmpl.Execute(w, p)
}

// Write writes the report into dir (made if needed): index.html, one SVG
// per figure, and the cited numbers as cited.csv and cited.tex. Each file
// appears atomically; the same page gives the same bytes.
func Write(dir string, p *Page) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, b := range p.Blocks {
		if b.Figure == nil {
			continue
		}
		svg, err := b.Figure.SVG()
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(dir, b.Figure.File), func(w io.Writer) error {
			_, err := w.Write(svg)
			return err
		}); err != nil {
			return err
		}
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"cited.csv", func(w io.Writer) error { return WriteCSV(w, p.Cited) }},
		{"cited.tex", func(w io.Writer) error { return WriteTeX(w, p.Cited) }},
		{"index.html", func(w io.Writer) error {
			var b bytes.Buffer // render fully before the file appears
			if err := p.HTML(&b); err != nil {
				return fmt.Errorf("rendering the page: %w", err)
			}
			_, err := w.Write(b.Bytes())
			return err
		}},
	}
	for _, f := range files {
		if err := writeAtomic(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	bad, err := CheckLinks(filepath.Join(dir, "index.html"))
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("report %s: links that resolve to nothing (a bug): %s", dir, strings.Join(bad, ", "))
	}
	return err
}

var (
	linkRe = regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	idRe   = regexp.MustCompile(`\sid="([^"]*)"`)
)

// CheckLinks reads an HTML page and returns its href and src values that
// name neither a file in the page's directory nor an element id of the
// page: a report must be readable from a copy of its directory alone.
func CheckLinks(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	page := string(b)
	ids := map[string]bool{}
	for _, m := range idRe.FindAllStringSubmatch(page, -1) {
		ids[html.UnescapeString(m[1])] = true
	}
	var bad []string
	for _, m := range linkRe.FindAllStringSubmatch(page, -1) {
		ref := html.UnescapeString(m[1])
		if u, err := url.PathUnescape(ref); err == nil {
			ref = u
		}
		if frag, ok := strings.CutPrefix(ref, "#"); ok {
			if !ids[frag] {
				bad = append(bad, ref)
			}
			continue
		}
		if strings.Contains(ref, ":") || strings.HasPrefix(ref, "/") || strings.Contains(ref, "..") {
			bad = append(bad, ref+" (not a file in the report directory)")
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, ref)); err != nil {
			bad = append(bad, ref)
		}
	}
	return bad, nil
}
