package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/runner"
	"github.com/eigenlab/eigenlab/stages"
)

func init() {
	register("verify", "REF|--all [--rtol R]", "recompute a result and compare within a tolerance, or rehash the whole cache", cmdVerify)
	register("export", "REF -o FILE | --cited EXP -o FILE [--force]", "write artifacts (.npy/.npz/.json/.csv; a whole stage as .npz, records inside as NAME.json) or cited numbers (.csv/.tex)", cmdExport)
	register("gc", "[--max-size SIZE]", "evict unpinned artifacts (least recently used first)", cmdGC)
}

func cmdVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var st stateFlags
	st.add(fs)
	all := fs.Bool("all", false, "rehash every artifact in the cache")
	rtol := fs.Float64("rtol", 1e-10, "relative tolerance per element for a recomputed output that is not bit-identical (0: bit for bit)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *all == (len(pos) == 1) || len(pos) > 1 {
		return usagef("verify takes one REF or --all")
	}
	if *rtol < 0 || math.IsNaN(*rtol) {
		return usagef("--rtol %v: want a relative tolerance ≥ 0", *rtol)
	}
	if !*all {
		if err := results.CheckRef(pos[0]); err != nil {
			return err
		}
	}
	r, done, err := st.open()
	if err != nil {
		return err
	}
	defer done()
	if *all {
		return verifyAll(r.Cache)
	}
	execs, err := r.DB.Resolve(ctx, pos[0])
	if err != nil {
		return err
	}
	failed := 0
	for _, e := range execs {
		checks, err := r.Recompute(ctx, e)
		if err != nil {
			failed++
			fmt.Printf("FAIL %s: %v\n", e.Label(), err)
			continue
		}
		for _, c := range checks {
			if !c.Within(*rtol) {
				failed++
			}
			fmt.Println(describeCheck(results.CitationID(e.Experiment, e.Stage, c.Output, e.Cell), c, *rtol))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d outputs of %d executions not reproduced within rtol %g", failed, len(execs), *rtol)
	}
	return nil
}

// describeCheck is one line of verify's report: the verdict, the output
// named as a REF (for a 0-d output, its cited id), and for a cited number
// the recorded and recomputed values.
func describeCheck(ref string, c runner.Check, rtol float64) string {
	verdict, how := "ok  ", "bit for bit"
	switch {
	case !c.Within(rtol):
		verdict, how = "FAIL", fmt.Sprintf("recorded %s, recomputed %s: max relative difference %.3g > rtol %g", c.Want.Short(), c.Got.Short(), c.MaxRelDiff, rtol)
	case !c.Exact():
		how = fmt.Sprintf("within rtol %g (max relative difference %.3g)", rtol, c.MaxRelDiff)
	}
	if !math.IsNaN(c.Recorded) || !math.IsNaN(c.Recomputed) {
		how += fmt.Sprintf("; value %.17g recorded, %.17g recomputed", c.Recorded, c.Recomputed)
	}
	return fmt.Sprintf("%s %s: %s", verdict, ref, how)
}

// verifyAll rehashes every blob; corrupt ones are evicted (the next run
// recomputes them). A blob this user may not read is reported as such and
// left in place: unreadable is not corrupt.
func verifyAll(c *cache.Cache) error {
	var n, corrupt, unreadable, failed int
	err := c.Blobs(func(d ndarray.Digest, size int64) error {
		n++
		err := c.Verify(d, runner.Rehash)
		switch {
		case err == nil:
		case errors.Is(err, cache.ErrCorrupt):
			corrupt++
			fmt.Printf("corrupt %s: %v\n", d.Short(), err)
		case errors.Is(err, fs.ErrPermission):
			unreadable++
			fmt.Printf("unreadable %s: permission denied (left in place)\n", d.Short())
		default:
			failed++
			fmt.Printf("unchecked %s: %v\n", d.Short(), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("%d artifacts checked: %d corrupt (evicted), %d unreadable by this user, %d could not be checked\n", n, corrupt, unreadable, failed)
	if corrupt+unreadable+failed > 0 {
		return fmt.Errorf("%d corrupt artifacts evicted (rerun the experiments that need them), %d unreadable, %d unchecked", corrupt, unreadable, failed)
	}
	return nil
}

func cmdExport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var st stateFlags
	st.add(fs)
	out := fs.String("o", "", "output file: .npy or .csv (one array), .json, or .npz (every output of a stage: arrays as NAME.npy, records as NAME.json, for numpy.load); with --cited .csv or .tex")
	cited := fs.Bool("cited", false, "write every cited number of experiment EXP instead of an artifact")
	force := fs.Bool("force", false, "replace FILE if it exists (without it, an existing FILE is an error and stays as it was)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("export takes one REF (or --cited EXP) and -o FILE")
	}
	if _, err := os.Lstat(*out); err == nil && !*force {
		// Checked before anything is loaded; the writer checks again,
		// atomically, in case FILE appears meanwhile.
		return forceHint(fmt.Errorf("export %s: %w", *out, os.ErrExist))
	}
	if *cited {
		return forceHint(exportCited(ctx, st, pos[0], *out, *force))
	}
	if err := results.CheckRef(pos[0]); err != nil {
		return err
	}
	r, done, err := st.openRead()
	if err != nil {
		return err
	}
	defer done()
	edges, err := r.DB.ResolveOutputs(ctx, pos[0])
	if err != nil {
		return err
	}
	arts := map[string]stages.Artifact{}
	for _, e := range edges {
		a, err := runner.LoadArtifact(r.Cache, e.Digest)
		if errors.Is(err, cache.ErrNotFound) {
			return fmt.Errorf("%s: %w (%s)", e.Name, err, runner.RecreateHint)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		arts[e.Name] = a
	}
	if err := results.Export(*out, arts, *force); err != nil {
		return forceHint(err)
	}
	fmt.Printf("wrote %s (%s)\n", *out, strings.Join(edgeNames(edges), ", "))
	return nil
}

// forceHint makes an export's refusal to replace an existing file (an
// error wrapping os.ErrExist) a usage error that says how to replace it.
func forceHint(err error) error {
	if errors.Is(err, os.ErrExist) {
		return usagef("%v; pass --force to replace it", err)
	}
	return err
}

func edgeNames(edges []results.Edge) []string {
	names := make([]string, len(edges))
	for i, e := range edges {
		names[i] = e.Name
	}
	return names
}

func cmdGC(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	var st stateFlags
	st.add(fs)
	size := fs.String("max-size", "0", "keep at most this much (e.g. 500M, 20G); pinned artifacts always stay")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	max, err := parseSize(*size)
	if err != nil {
		return usagef("--max-size: %v", err)
	}
	r, done, err := st.open()
	if err != nil {
		return err
	}
	defer done()
	pinned, err := r.DB.PinnedDigests(ctx)
	if err != nil {
		return err
	}
	stats, err := r.Cache.GC(max, func(d ndarray.Digest) bool { return pinned[d] })
	if err != nil {
		return err
	}
	fmt.Println(stats)
	return nil
}

// parseSize reads a byte count with an optional K, M, G or T suffix
// (powers of 1024).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	if i := strings.IndexAny(strings.ToUpper(s), "KMGT"); i > 0 {
		mult = 1 << (10 * (1 + strings.IndexByte("KMGT", strings.ToUpper(s)[i])))
		s = s[:i]
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a size such as 0, 500M or 20G")
	}
	return n * mult, nil
}
