package cache

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func keyOf(s string) ActionKey {
	var b KeyBuilder
	b.Add("test", s)
	return b.Key()
}

func TestActionRoundTrip(t *testing.T) {
	cases := map[string]Entry{
		"no outputs":  {Time: time.Unix(0, 42)},
		"two outputs": {Outputs: []Output{{"a", digestOf("a"), 3, Stamp{}, ""}, {"b.npy", digestOf("b"), 0, Stamp{0, 1700000000000000001, 42, 1700000000000000002}, "array:float64:3x4"}}, Time: time.Unix(1700000000, 5)},
	}
	for name, e := range cases {
		t.Run(name, func(t *testing.T) {
			c := openCache(t)
			k := keyOf(name)
			if _, err := c.GetAction(k); !errors.Is(err, ErrNotFound) {
				t.Fatalf("before put: %v, want ErrNotFound", err)
			}
			if err := c.PutAction(k, e); err != nil {
				t.Fatal(err)
			}
			got, err := c.GetAction(k)
			if err != nil || !got.Time.Equal(e.Time) || len(got.Outputs) != len(e.Outputs) {
				t.Fatalf("got %+v, %v; want %+v", got, err, e)
			}
			for i := range e.Outputs {
				if got.Outputs[i] != e.Outputs[i] {
					t.Errorf("output %d = %+v, want %+v", i, got.Outputs[i], e.Outputs[i])
				}
			}
		})
	}
}

func TestPutActionStampsZeroTime(t *testing.T) {
	c := openCache(t)
	before := time.Now()
	if err := c.PutAction(keyOf("x"), Entry{}); err != nil {
		t.Fatal(err)
	}
	e, err := c.GetAction(keyOf("x"))
	if err != nil || e.Time.Before(before) || time.Since(e.Time) > time.Minute {
		t.Errorf("time %v, %v; want the time of the put", e.Time, err)
	}
}

func TestPutActionRejectsBadOutputs(t *testing.T) {
	d := digestOf("a")
	cases := map[string][]Output{
		"empty name":     {{"", d, 1, Stamp{}, ""}},
		"space in name":  {{"a b", d, 1, Stamp{}, ""}},
		"tab in name":    {{"a\tb", d, 1, Stamp{}, ""}},
		"newline":        {{"a\n", d, 1, Stamp{}, ""}},
		"duplicate name": {{"a", d, 1, Stamp{}, ""}, {"a", d, 1, Stamp{}, ""}},
		"negative size":  {{"a", d, -1, Stamp{}, ""}},
		"space in meta":  {{"a", d, 1, Stamp{}, "array float64"}},
		"dash meta":      {{"a", d, 1, Stamp{}, "-"}},
	}
	for name, outs := range cases {
		t.Run(name, func(t *testing.T) {
			c := openCache(t)
			if err := c.PutAction(keyOf(name), Entry{Outputs: outs}); err == nil {
				t.Error("accepted")
			}
			if _, err := c.GetAction(keyOf(name)); !errors.Is(err, ErrNotFound) {
				t.Errorf("a rejected record was stored: %v", err)
			}
		})
	}
}

func TestMalformedActionIsMiss(t *testing.T) {
	d := digestOf("a").String()
	head := actionHeader + "\ntime 1\n"
	cases := map[string]string{
		"empty":            "",
		"garbage":          "garbage\n",
		"version 1":        "eigenlab-action-record v1\ntime 1\noutput a " + d + " 1\n",
		"no final newline": head + "outputs 1\noutput a " + d + " 1",
		"cut at a line":    head + "outputs 2\noutput a " + d + " 1\n",
		"extra line":       head + "outputs 0\noutput a " + d + " 1\n",
		"no count":         head + "output a " + d + " 1\n",
		"bad time":         actionHeader + "\ntime soon\noutputs 0\n",
		"short digest":     head + "outputs 1\noutput a " + d[:10] + " 1\n",
		"negative size":    head + "outputs 1\noutput a " + d + " -1\n",
		"extra field":      head + "outputs 1\noutput a " + d + " 1 x\n",
		"empty name":       head + "outputs 1\noutput  " + d + " 1\n",
		"too long":         head + "outputs 0\n" + strings.Repeat("x", maxRecord),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			c := openCache(t)
			k := keyOf(name)
			writeRaw(t, c.path(actionsDir, k.String(), ""), text)
			_, err := c.GetAction(k)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "malformed") {
				t.Errorf("err = %v, want a miss saying the record is malformed", err)
			}
			n := 0
			if err := c.Actions(func(ActionKey, Entry) error { n++; return nil }); err != nil || n != 0 {
				t.Errorf("Actions visited %d malformed records, %v", n, err)
			}
		})
	}
}

func TestDeleteAndListActions(t *testing.T) {
	c := openCache(t)
	keys := map[ActionKey]bool{}
	for _, s := range []string{"a", "b", "c"} {
		keys[keyOf(s)] = true
		if err := c.PutAction(keyOf(s), Entry{Outputs: []Output{{s, digestOf(s), 1, Stamp{}, ""}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.DeleteAction(keyOf("b")); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAction(keyOf("b")); err != nil {
		t.Errorf("deleting an absent record: %v", err)
	}
	delete(keys, keyOf("b"))
	prev := ""
	err := c.Actions(func(k ActionKey, e Entry) error {
		if !keys[k] || k.String() < prev || len(e.Outputs) != 1 {
			t.Errorf("visited %s after %s: %+v", k, prev, e)
		}
		delete(keys, k)
		prev = k.String()
		return nil
	})
	if err != nil || len(keys) != 0 {
		t.Errorf("Actions: %v, %d records not visited", err, len(keys))
	}
}

// Both the in-place comparison (few outputs) and the map (many) find a
// repeated name; a record that holds one is malformed when read.
func TestCheckOutputsRepeatedNames(t *testing.T) {
	outputs := func(n int, repeat bool) []Output {
		outs := make([]Output, n)
		for i := range outs {
			outs[i] = Output{Name: "o" + strconv.Itoa(i), Digest: digestOf("x")}
		}
		if repeat {
			outs[n-1].Name = outs[0].Name
		}
		return outs
	}
	for _, n := range []int{2, 16, 17, 40} {
		if err := checkOutputs(outputs(n, false)); err != nil {
			t.Errorf("%d distinct outputs: %v", n, err)
		}
		if err := checkOutputs(outputs(n, true)); err == nil {
			t.Errorf("%d outputs, one name twice: accepted", n)
		}
	}
	text, _ := formatAction(Entry{Time: time.Unix(0, 1), Outputs: outputs(3, false)})
	text = strings.Replace(text, "output o2 ", "output o0 ", 1)
	if _, err := parseAction(text); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a record naming o0 twice: %v, want malformed", err)
	}
}
