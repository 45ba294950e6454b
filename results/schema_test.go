package results

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestSchemaDocumented checks that SCHEMA.md, which the README shows
// sqlite3 users, names exactly the tables, views, columns and indexes that the
// migrations create.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile("SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	db, _ := OpenMemory()
	defer db.Close()
	documented := documentedSchema(string(doc))
	actual := map[string][]string{}
	tables, err := db.strings(t.Context(), `SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		cols, err := db.strings(t.Context(), `SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		actual[table] = cols
	}
	indexes, err := db.strings(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'`)
	if err != nil {
		t.Fatal(err)
	}
	actual["Indexes"] = indexes
	for name, cols := range actual {
		sort.Strings(cols)
		if got := strings.Join(documented[name], " "); got != strings.Join(cols, " ") {
			t.Errorf("SCHEMA.md %s: documents %q, the database has %q", name, got, strings.Join(cols, " "))
		}
	}
	for name := range documented {
		if actual[name] == nil {
			t.Errorf("SCHEMA.md documents %s, which the database lacks", name)
		}
	}
}

var (
	sectionRe = regexp.MustCompile(`^#### (\w+)`)
	nameRe    = regexp.MustCompile("`(\\w+)`")
)

// documentedSchema reads, for each "#### name" section of SCHEMA.md, the
// names in the first column of its table, sorted.
func documentedSchema(doc string) map[string][]string {
	out := map[string][]string{}
	section := ""
	for _, line := range strings.Split(doc, "\n") {
		if m := sectionRe.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		cells := strings.Split(line, "|")
		if section == "" || len(cells) < 3 || strings.HasPrefix(cells[1], "---") || strings.TrimSpace(cells[1]) == "column" || strings.TrimSpace(cells[1]) == "index" {
			continue
		}
		for _, m := range nameRe.FindAllStringSubmatch(cells[1], -1) {
			out[section] = append(out[section], m[1])
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}
