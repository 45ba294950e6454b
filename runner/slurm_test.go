package runner

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

func TestJobInfoTerminal(t *testing.T) {
	for _, tc := range []struct {
		state string
		want  bool
	}{
		{"PENDING", false}, {"RUNNING", false}, {"COMPLETING", false}, {"CONFIGURING", false},
		{"COMPLETED", true}, {"FAILED", true}, {"CANCELLED", true}, {"OUT_OF_MEMORY", true},
		{"TIMEOUT", true}, {"NODE_FAIL", true}, {"PREEMPTED", true},
	} {
		if got := (jobInfo{State: tc.state}).terminal(); got != tc.want {
			t.Errorf("%s: terminal %v, want %v", tc.state, got, tc.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"/plain/path", "/with space/x", "it's", `a"b$c\d`, ""} {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("shellQuote(%q) reads back as %q (%v)", s, out, err)
		}
	}
}

func TestLogTail(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          []string // substrings
		empty         bool
	}{
		{name: "missing", empty: true},
		{name: "empty", content: "", empty: true},
		{name: "short", content: "a\nb\n", want: []string{"(tail):\n    a\n    b"}},
		{name: "long", content: strings.Repeat("line\n", 100) + "last\n", want: []string{"    last"}},
	} {
		p := filepath.Join(dir, tc.name+".log")
		if tc.name != "missing" {
			os.WriteFile(p, []byte(tc.content), 0o644)
		}
		got := logTail(p)
		if tc.empty != (got == "") {
			t.Errorf("%s: tail %q", tc.name, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: tail %q lacks %q", tc.name, got, w)
			}
		}
		if n := strings.Count(got, "\n    "); n > 20 {
			t.Errorf("%s: %d lines, want at most 20", tc.name, n)
		}
	}
}

// TestExecStage runs job files the way a Slurm job does, without Slurm:
// the outputs land in the cache with the digests the local executor
// gives, and a stage that cannot run leaves its error in the result.
func TestExecStage(t *testing.T) {
	dir := t.TempDir()
	yaml := filepath.Join(dir, "x.yaml")
	os.WriteFile(yaml, []byte(`name: exec-stage
stages:
  data:
    kind: load
    params: {source: planted, n: 60, p: 80, alpha: 1.0, seed: 3}
`), 0o644)
	plan, err := experiments.Load(yaml, nil)
	if err != nil {
		t.Fatal(err)
	}
	inst := plan.Instances[0]
	c, err := cache.Open(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	local, _, err := Local{}.Execute(context.Background(), Job{Stage: inst.Stage, Params: inst.Params})
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{}
	for _, line := range inst.Params.Canonical() {
		k, v, _ := strings.Cut(line, "=")
		params[k] = v
	}
	for _, tc := range []struct {
		name, version, errWant string
	}{
		{name: "ok", version: stages.VersionOf(inst.Stage, inst.Params)},
		{name: "other-version", version: "0-other", errWant: "version 0-other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := slurmJob{Cache: c.Dir(), Label: "data", Kind: inst.Kind, Version: tc.version,
				Params: params, Inputs: map[string]string{}, StreamAbove: DefaultStreamAbove,
				Result: filepath.Join(c.TempDir(), tc.name+".result.json")}
			b, _ := json.Marshal(job)
			path := filepath.Join(c.TempDir(), tc.name+".job.json")
			os.WriteFile(path, b, 0o644)
			stageErr, err := ExecStage(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := readResult(job.Result)
			if err != nil {
				t.Fatal(err)
			}
			if tc.errWant != "" {
				if stageErr == nil || !strings.Contains(res.Error, tc.errWant) {
					t.Fatalf("stage error %v, result error %q, want %q", stageErr, res.Error, tc.errWant)
				}
				return
			}
			if stageErr != nil || res.Error != "" {
				t.Fatalf("stage error %v / %q", stageErr, res.Error)
			}
			if len(res.Outputs) != len(local) || res.Host == "" || res.WallNS <= 0 || res.PeakRSS <= 0 {
				t.Fatalf("result %+v", res)
			}
			outs, err := (&Slurm{Cache: c}).outputs(res)
			if err != nil {
				t.Fatal(err)
			}
			for name, a := range local {
				if outs[name] == nil || outs[name].Digest() != a.Digest() || !c.HasBlob(a.Digest()) {
					t.Errorf("output %s: got %v, want digest %s in the cache", name, outs[name], a.Digest().Short())
				}
			}
			// The runner's put of outputs already in the cache is a no-op.
			before := blobTimes(t, c)
			if _, err := (store{c}).put(outs, ndarray.NewScratch(c.TempDir())); err != nil {
				t.Fatal(err)
			}
			if after := blobTimes(t, c); len(after) != len(before) {
				t.Errorf("put rewrote blobs: %v -> %v", before, after)
			} else {
				for p, m := range before {
					if !after[p].Equal(m) {
						t.Errorf("put rewrote %s", p)
					}
				}
			}
		})
	}
}

func blobTimes(t *testing.T, c *cache.Cache) map[string]time.Time {
	m := map[string]time.Time{}
	filepath.WalkDir(filepath.Join(c.Dir(), "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			m[p] = info.ModTime()
		}
		return err
	})
	return m
}

// TestSlurmCluster starts a real single-node Slurm (scripts/slurm-local.sh,
// DATA.md §3) and runs experiments through the built binary with
// --executor slurm: the same results and bytes as --executor local, a
// fully cached rerun, provenance naming the node and job, and a failing
// stage reported with its job id and error. It needs root and the Debian
// packages slurmctld slurmd slurm-client munge: without them it skips, or
// fails when CI is set (scripts/setup.sh installs them there).
func TestSlurmCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no Slurm cluster")
	}
	var missing []string
	for _, b := range []string{"munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"} {
		if _, err := exec.LookPath(b); err != nil {
			if _, err := os.Stat("/usr/sbin/" + b); err != nil {
				missing = append(missing, b)
			}
		}
	}
	why := ""
	switch {
	case len(missing) > 0:
		why = "Slurm is not installed (missing " + strings.Join(missing, ", ") + "): EIGENLAB_SLURM=1 scripts/setup.sh installs it"
	case os.Geteuid() != 0:
		why = "starting a Slurm cluster needs root"
	}
	if why != "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but " + why)
		}
		t.Skip(why)
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "eigenlab")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/eigenlab/eigenlab/cmd/eigenlab").CombinedOutput(); err != nil {
		t.Fatalf("building eigenlab: %v\n%s", err, out)
	}
	script, _ := filepath.Abs("../scripts/slurm-local.sh")
	cluster := filepath.Join(dir, "slurm")
	if out, err := exec.Command("bash", script, "start", cluster).CombinedOutput(); err != nil {
		t.Fatalf("slurm-local.sh start: %v\n%s", err, out)
	}
	pids := daemonPIDs(t, cluster)
	t.Cleanup(func() {
		if out, err := exec.Command("bash", script, "stop", cluster).CombinedOutput(); err != nil {
			t.Errorf("slurm-local.sh stop: %v\n%s", err, out)
		}
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil {
				t.Errorf("daemon %d still alive after stop", pid)
			}
		}
	})
	env := append(os.Environ(), "SLURM_CONF="+filepath.Join(cluster, "slurm.conf"))
	run := func(state string, args ...string) (string, int) {
		t.Helper()
		args = append(args, "--cache", filepath.Join(dir, state, "cache"), "--db", filepath.Join(dir, state, "provenance.db"))
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Dir = env, dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), code
	}
	small := []string{"run", "planted-sweep", "--set", "n=200", "--set", "p=300",
		"--set", "alpha=[0.8,1.6]", "--set", "seed=[0,1]", "-j", "2"}

	t0 := time.Now()
	slurmOut, code := run("slurm", append(small, "--executor", "slurm")...)
	slurmWall := time.Since(t0)
	if code != 0 || !strings.Contains(slurmOut, "8 executed, 0 cached, 0 failed") {
		t.Fatalf("slurm run: exit %d\n%s", code, slurmOut)
	}
	t0 = time.Now()
	localOut, code := run("local", append(small, "--executor", "local")...)
	t.Logf("8 stages: slurm %s, local %s", slurmWall.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("local run: exit %d\n%s", code, localOut)
	}
	if s, l := scalarTable(slurmOut), scalarTable(localOut); s != l || s == "" {
		t.Errorf("results differ:\nslurm:\n%s\nlocal:\n%s", s, l)
	}
	if s, l := blobSums(t, filepath.Join(dir, "slurm", "cache")), blobSums(t, filepath.Join(dir, "local", "cache")); s != l {
		t.Errorf("cache blobs differ between slurm and local:\n%s\n%s", s, l)
	}
	if left := tempFiles(t, filepath.Join(dir, "slurm", "cache")); len(left) > 0 {
		t.Errorf("temp files left after a successful run: %v", left)
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "slurm", "provenance.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT executor, host FROM executions WHERE status = 'ok'`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var executor, host string
		rows.Scan(&executor, &host)
		if executor != "slurm" || !regexp.MustCompile(`^\S+ \(slurm job \d+_\d+( stage \d/\d)?\)$`).MatchString(host) {
			t.Errorf("execution recorded as executor %q on host %q", executor, host)
		}
		n++
	}
	rows.Close()
	if n != 8 {
		t.Errorf("%d ok executions recorded, want 8", n)
	}

	again, code := run("slurm", append(small, "--executor", "slurm")...)
	if code != 0 || !strings.Contains(again, "0 executed, 8 cached") {
		t.Errorf("rerun not fully cached: exit %d\n%s", code, again)
	}

	// A stage that fails on the node: a .npy that is not one.
	bad := filepath.Join(dir, "bad.npy")
	os.WriteFile(bad, []byte("not an npy file"), 0o644)
	yaml := filepath.Join(dir, "fail.yaml")
	os.WriteFile(yaml, []byte("name: slurm-fail\nstages:\n  data:\n    kind: load\n    params: {source: npy, path: "+bad+"}\n"), 0o644)
	failOut, code := run("slurm", "run", yaml, "--executor", "slurm")
	if code != 1 || !regexp.MustCompile(`slurm job \d+_\d+ on \S+: `).MatchString(failOut) || !strings.Contains(failOut, "bad.npy") {
		t.Errorf("failing stage: exit %d, want 1 and the job's error naming the job id and file:\n%s", code, failOut)
	}
	for _, f := range tempFiles(t, filepath.Join(dir, "slurm", "cache")) {
		if !strings.HasSuffix(f, ".log") {
			t.Errorf("a failed job left %s in the cache temp dir (only its log may stay, for gc)", f)
		}
	}

	// A job that dies without a result (scancel from outside): its state,
	// id and log tail are reported. The queue must be empty first, so the
	// running job found below is the slow run's and no earlier job still
	// completing on a loaded machine.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		q := exec.Command("squeue", "--noheader", "--format=%i")
		q.Env = env
		out, err := q.Output()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs still queued a minute after the runs ended: %s %v", out, err)
		}
	}
	slow := exec.Command(bin, "run", "planted-sweep", "--set", "n=4000", "--set", "p=8000",
		"--set", "alpha=[1.0]", "--set", "seed=[0]", "--executor", "slurm",
		"--cache", filepath.Join(dir, "slow", "cache"), "--db", filepath.Join(dir, "slow", "provenance.db"))
	slow.Env, slow.Dir = env, dir
	var slowOut bytes.Buffer
	slow.Stdout, slow.Stderr = &slowOut, &slowOut
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	jobID := ""
	for deadline := time.Now().Add(30 * time.Second); jobID == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		q := exec.Command("squeue", "--noheader", "--states=RUNNING", "--format=%i")
		q.Env = env
		out, _ := q.Output()
		jobID = strings.TrimSpace(string(out))
	}
	if jobID == "" {
		slow.Process.Kill()
		t.Fatalf("the slow job never ran:\n%s", slowOut.String())
	}
	sc := exec.Command("scancel", jobID)
	sc.Env = env
	if out, err := sc.CombinedOutput(); err != nil {
		t.Fatalf("scancel %s: %v %s", jobID, err, out)
	}
	err = slow.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 ||
		!strings.Contains(slowOut.String(), "job "+jobID+" CANCELLED") || !strings.Contains(slowOut.String(), "the job wrote no result") {
		t.Errorf("job cancelled from outside: %v, want exit 1 naming job %s CANCELLED:\n%s", err, jobID, slowOut.String())
	}

	if i := strings.Index(slowOut.String(), "FAIL"); i >= 0 {
		t.Logf("reported: %s", slowOut.String()[i:min(len(slowOut.String()), i+600)])
	}

	// Bad partition: refused before anything runs.
	out, code := run("slurm", append(small, "--executor", "slurm", "--partition", "nosuch")...)
	if code == 0 || !strings.Contains(out, `no partition "nosuch"`) && !strings.Contains(out, "nosuch") {
		t.Errorf("--partition nosuch: exit %d\n%s", code, out)
	}
}

// daemonPIDs reads the pids slurm-local.sh's daemons wrote.
func daemonPIDs(t *testing.T, cluster string) []int {
	var pids []int
	for _, f := range []string{"slurmctld.pid", "slurmd.pid", "munged.pid"} {
		b, err := os.ReadFile(filepath.Join(cluster, f))
		if err != nil {
			continue // munged was already running: not ours
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, pid)
		}
	}
	if len(pids) < 2 {
		t.Fatalf("slurm-local.sh start left pid files for %v only", pids)
	}
	return pids
}

// scalarTable is the run output's table of numbers, without timings.
func scalarTable(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "  ") && !strings.Contains(line, "ms)") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// blobSums lists every blob of a cache with the SHA-256 of its bytes.
func blobSums(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		b.WriteString(d.Name() + " " + hex.EncodeToString(sum[:]) + "\n")
		return nil
	})
	return b.String()
}

func tempFiles(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestSlurmCheck: --executor slurm is refused before anything runs when
// the client commands are missing or the controller does not answer.
func TestSlurmCheck(t *testing.T) {
	_, haveSinfo := exec.LookPath("sinfo")
	// A controller nobody runs: sinfo gives up after its MessageTimeout (~9 s).
	deadConf := filepath.Join(t.TempDir(), "slurm.conf")
	os.WriteFile(deadConf, []byte("ClusterName=dead\nSlurmctldHost=localhost\nSlurmctldPort=6999\n"+
		"NodeName=localhost CPUs=1 State=UNKNOWN\nPartitionName=debug Nodes=ALL Default=YES State=UP\n"), 0o644)
	for _, tc := range []struct {
		name, path, conf, want string
		needSlurm              bool
	}{
		{name: "no client", path: t.TempDir(), want: "sbatch is not on PATH"},
		{name: "no config", path: os.Getenv("PATH"), conf: filepath.Join(t.TempDir(), "nosuch.conf"),
			want: "SLURM_CONF names no readable configuration", needSlurm: true},
		{name: "no controller", path: os.Getenv("PATH"), conf: deadConf,
			want: "the cluster does not answer (SLURM_CONF=", needSlurm: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needSlurm && haveSinfo != nil {
				t.Skip("Slurm client not installed")
			}
			t.Setenv("PATH", tc.path)
			t.Setenv("SLURM_CONF", tc.conf)
			err := (&Slurm{}).Check(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestMain lets the test binary stand in for eigenlab in a fake Slurm
// task (TestSlurmArrays): `runner.test exec-stage JOBFILE...`.
func TestMain(m *testing.M) {
	if len(os.Args) >= 3 && os.Args[1] == "exec-stage" {
		if ExecStages(context.Background(), os.Args[2:], os.Stderr) > 0 {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeSlurm puts sbatch, squeue and scancel scripts first on PATH that
// log their arguments to dir/NAME.log. sbatch runs every task of the
// array it is given in the background, as Slurm would (job id: its pid),
// with the task's state in dir/state/ID_I for squeue to print and its pid
// in dir/pid/ID_I for scancel to kill. While a file dir/hold exists, new
// tasks stay PENDING.
func fakeSlurm(t *testing.T) string {
	dir := t.TempDir()
	for _, d := range []string{"bin", "state", "pid"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	scripts := map[string]string{
		// A state file is replaced whole (written aside, then renamed): a
		// squeue that read it half-written would see the task gone.
		"sbatch": `echo "$*" >>D/sbatch.log
id=$$
setstate() { echo "$1" >D/tmp.${1%%|*} && mv D/tmp.${1%%|*} D/state/${1%%|*}; }
cat >D/script.$id
for a in "$@"; do
  case $a in --array=0-*) last=${a#--array=0-} ;; --output=*) out=${a#--output=} ;; esac
done
i=0
while [ "$i" -le "$last" ]; do
  log=$(echo "$out" | sed "s/%A/$id/; s/%a/$i/")
  setstate "${id}_$i|PENDING|fake|Resources"
  (
    while [ -e D/hold ]; do sleep 0.02; done
    setstate "${id}_$i|RUNNING|fake|None"
    SLURM_ARRAY_JOB_ID=$id SLURM_ARRAY_TASK_ID=$i sh D/script.$id >"$log" 2>&1 &
    echo $! >D/pid/${id}_$i
    if wait $!; then st=COMPLETED; else st=FAILED; fi
    setstate "${id}_$i|$st|fake|None"
  ) </dev/null >/dev/null 2>&1 &
  i=$((i + 1))
done
echo $id`,
		"squeue":  `echo "$*" >>D/squeue.log; cat D/state/* 2>/dev/null; true`,
		"scancel": `echo "$*" >>D/scancel.log; kill $(cat D/pid/$1) 2>/dev/null; true`,
	}
	for name, body := range scripts {
		body = "#!/bin/sh\n" + strings.ReplaceAll(body, "D/", dir+"/") + "\n"
		if err := os.WriteFile(filepath.Join(dir, "bin", name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	// A task's shell writes its final state just after its result: wait
	// for every task to end before the directory is removed (cleanups run
	// last registered first, so this runs before TempDir's).
	t.Cleanup(func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if !anyTaskRunning(filepath.Join(dir, "state")) {
				return
			}
		}
	})
	return dir
}

// anyTaskRunning reports whether a fake task's state file in dir is not
// yet final.
func anyTaskRunning(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || strings.Contains(string(b), "|PENDING|") || strings.Contains(string(b), "|RUNNING|") {
			return true
		}
	}
	return false
}

// fakeExecutor is a Slurm executor over a fresh cache whose commands are
// fakeSlurm's (the returned directory), with the given batching, and the
// test binary standing in for eigenlab.
func fakeExecutor(t *testing.T, batch, pack int, window time.Duration) (*Slurm, string) {
	t.Helper()
	fake := fakeSlurm(t)
	c, err := cache.Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	return &Slurm{Cache: c, Exe: exe, Batch: batch, Pack: pack, Window: window, Poll: 20 * time.Millisecond}, fake
}

// counterJob is a test_counter execution with every param given.
func counterJob(t *testing.T, value float64, threads int, fail bool, sleepMS int) Job {
	st, p, err := rebuild("test_counter", map[string]string{"label": `""`, "value": strconv.FormatFloat(value, 'g', -1, 64),
		"scale": "1", "sleep": strconv.Itoa(sleepMS), "threads": strconv.Itoa(threads),
		"fail": strconv.FormatBool(fail), "floor": "false", "first_only": "false"})
	if err != nil {
		t.Fatal(err)
	}
	return Job{Stage: st, Params: p, Label: fmt.Sprintf("c%g", value)}
}

// TestSlurmArrays runs concurrent Executes against fake Slurm commands:
// executions that share their resources become one sbatch of a job array
// (at once when Batch of them wait, else after Window), other resources
// another array, Pack of them at most to a task; each execution gets its
// own outputs and job id (with its stage's position in a packed task),
// and a failing stage fails only its own execution, in its own task or
// packed with others.
func TestSlurmArrays(t *testing.T) {
	type call struct {
		threads int
		fail    bool
	}
	same := func(n int) []call { return slices.Repeat([]call{{threads: 1}}, n) }
	for _, tc := range []struct {
		name   string
		calls  []call
		batch  int
		pack   int
		window time.Duration
		arrays []string // sbatch args each want, sorted
	}{
		// Windows no test waits out: a full batch must go at once.
		{name: "full batch", calls: same(6), batch: 6, pack: 1, window: 20 * time.Second,
			arrays: []string{"--array=0-5 --cpus-per-task=1"}},
		{name: "by resources", calls: append(same(3), call{threads: 2}, call{threads: 2}), batch: 8, pack: 1, window: time.Second,
			arrays: []string{"--array=0-1 --cpus-per-task=2", "--array=0-2 --cpus-per-task=1"}},
		{name: "one task fails", calls: []call{{threads: 1}, {threads: 1, fail: true}, {threads: 1}, {threads: 1}}, batch: 4, pack: 1, window: 20 * time.Second,
			arrays: []string{"--array=0-3 --cpus-per-task=1"}},
		{name: "batch of one", calls: same(3), batch: 1, pack: 1, window: 20 * time.Second,
			arrays: []string{"--array=0-0 --cpus-per-task=1", "--array=0-0 --cpus-per-task=1", "--array=0-0 --cpus-per-task=1"}},
		{name: "packed", calls: same(7), batch: 7, pack: 4, window: 20 * time.Second,
			arrays: []string{"--array=0-1 --cpus-per-task=1"}},
		{name: "packed by resources", calls: append(same(3), call{threads: 2}, call{threads: 2}), batch: 8, pack: 16, window: time.Second,
			arrays: []string{"--array=0-0 --cpus-per-task=2", "--array=0-0 --cpus-per-task=1"}},
		{name: "packed stage fails", calls: []call{{threads: 1}, {threads: 1, fail: true}, {threads: 1}, {threads: 1}}, batch: 4, pack: 4, window: 20 * time.Second,
			arrays: []string{"--array=0-0 --cpus-per-task=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, fake := fakeExecutor(t, tc.batch, tc.pack, tc.window)
			type result struct {
				outs stages.Outputs
				u    Usage
				err  error
			}
			results := make([]result, len(tc.calls))
			var wg sync.WaitGroup
			t0 := time.Now()
			for i, cl := range tc.calls {
				job := counterJob(t, float64(i), cl.threads, cl.fail, 0)
				wg.Add(1)
				go func() {
					defer wg.Done()
					outs, u, err := s.Execute(context.Background(), job)
					results[i] = result{outs, u, err}
				}()
			}
			wg.Wait()
			if took := time.Since(t0); tc.window > 10*time.Second && took > tc.window/2 {
				t.Errorf("%d executions took %s: a full batch waited out its window", len(tc.calls), took)
			}

			log, _ := os.ReadFile(filepath.Join(fake, "sbatch.log"))
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
				got = append(got, regexp.MustCompile(`--array=\S+|--cpus-per-task=\S+`).FindAllString(line, -1)...)
			}
			var want []string
			for _, a := range tc.arrays {
				want = append(want, strings.Fields(a)...)
			}
			if strings.Count(string(log), "\n") != len(tc.arrays) || strings.Join(sortedPairs(got), " ") != strings.Join(sortedPairs(want), " ") {
				t.Errorf("sbatch calls:\n%s\nwant %d: %v", log, len(tc.arrays), tc.arrays)
			}
			ids, tasks := map[string]bool{}, map[string]int{}
			for i, r := range results {
				id := regexp.MustCompile(`slurm job ((\d+_\d+)(?: stage (\d+)/(\d+))?)`).FindStringSubmatch(fmt.Sprint(r.u.Host, r.err))
				if id == nil || ids[id[1]] {
					t.Errorf("call %d: no job id of its own in %q / %v", i, r.u.Host, r.err)
					continue
				}
				ids[id[1]] = true
				if n, _ := strconv.Atoi(id[4]); id[4] != "" && n <= 1 || id[4] == "" && tasks[id[2]] > 0 {
					t.Errorf("call %d: job %q: a task of one stage names no stage, a task of several names each", i, id[1])
				}
				tasks[id[2]]++
				if tc.calls[i].fail {
					if r.err == nil || !strings.Contains(r.err.Error(), "planned failure") {
						t.Errorf("call %d: error %v, want its task's planned failure", i, r.err)
					}
					continue
				}
				want, _, _ := Local{}.Execute(context.Background(), counterJob(t, float64(i), tc.calls[i].threads, false, 0))
				if r.err != nil || r.outs["out"] == nil || r.outs["out"].Digest() != want["out"].Digest() {
					t.Errorf("call %d: outputs %v, error %v; want the local executor's", i, r.outs, r.err)
				}
			}
			pack := cmp.Or(tc.pack, DefaultPack)
			for id, n := range tasks {
				if n > pack {
					t.Errorf("task %s ran %d stages, want at most %d", id, n, pack)
				}
			}
			if q, _ := os.ReadFile(filepath.Join(fake, "squeue.log")); len(q) > 0 && !strings.Contains(string(q), "--array") {
				t.Errorf("squeue asked without --array (array tasks listed one by one): %s", q)
			}
			if left := tempFiles(t, s.Cache.Dir()); slices.ContainsFunc(left, func(f string) bool { return !strings.HasSuffix(f, ".log") }) {
				t.Errorf("files left in the cache temp dir: %v", left)
			}
		})
	}
}

// TestPacked: a batch is split, in order, into ceil(n/pack) tasks whose
// sizes differ by at most one.
func TestPacked(t *testing.T) {
	for _, tc := range []struct {
		n, pack int
		want    []int
	}{
		{1, 16, []int{1}}, {7, 4, []int{3, 4}}, {16, 16, []int{16}}, {17, 16, []int{8, 9}},
		{5, 1, []int{1, 1, 1, 1, 1}}, {64, 16, []int{16, 16, 16, 16}}, {10, 3, []int{2, 3, 2, 3}},
	} {
		jobs := make([]string, tc.n)
		for i := range jobs {
			jobs[i] = strconv.Itoa(i)
		}
		var sizes []int
		var all []string
		for _, c := range packed(jobs, tc.pack) {
			sizes = append(sizes, len(c))
			all = append(all, c...)
		}
		if !slices.Equal(sizes, tc.want) || !slices.Equal(all, jobs) {
			t.Errorf("packed(%d, %d): sizes %v, order %v; want sizes %v in order", tc.n, tc.pack, sizes, all, tc.want)
		}
	}
}

// sortedPairs sorts "--array=.. --cpus-per-task=.." pairs, one per sbatch.
func sortedPairs(flags []string) []string {
	var pairs []string
	for i := 0; i+1 < len(flags); i += 2 {
		pairs = append(pairs, flags[i]+" "+flags[i+1])
	}
	slices.Sort(pairs)
	return pairs
}

// TestSlurmArrayCancel: cancelling one execution scancels its own task,
// ARRAYID_INDEX, and the other task of the array completes.
func TestSlurmArrayCancel(t *testing.T) {
	s, fake := fakeExecutor(t, 2, 1, 20*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	slow := counterJob(t, 1, 1, false, 60_000)
	go func() {
		_, _, err := s.Execute(ctx, slow)
		errs <- err
	}()
	go func() {
		for {
			if b, _ := os.ReadFile(filepath.Join(fake, "sbatch.log")); len(b) > 0 {
				time.Sleep(200 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	_, _, err := s.Execute(context.Background(), counterJob(t, 2, 1, false, 500))
	if err != nil {
		t.Errorf("the other task of the array: %v", err)
	}
	err = <-errs
	sc, _ := os.ReadFile(filepath.Join(fake, "scancel.log"))
	id := regexp.MustCompile(`^\d+_\d$`).FindString(strings.TrimSpace(string(sc)))
	if id == "" || err == nil || !strings.Contains(err.Error(), "scancel "+id) {
		t.Errorf("cancelled execution: %v; scancel called with %q, want one task id", err, sc)
	}
}

// TestSlurmHoldOpen: while a task of ours with the same resources is
// PENDING, a batch stays open past its Window and takes in the executions
// that arrive; it is submitted as one array once nothing of ours is
// queued.
func TestSlurmHoldOpen(t *testing.T) {
	s, fake := fakeExecutor(t, 100, 1, 20*time.Millisecond)
	hold := filepath.Join(fake, "hold")
	os.WriteFile(hold, nil, 0o644)
	sbatches := func() int {
		b, _ := os.ReadFile(filepath.Join(fake, "sbatch.log"))
		return strings.Count(string(b), "\n")
	}
	errs := make(chan error, 4)
	execute := func(i int) {
		_, _, err := s.Execute(context.Background(), counterJob(t, float64(i), 1, false, 0))
		errs <- err
	}
	go execute(0)
	for deadline := time.Now().Add(10 * time.Second); sbatches() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first execution was never submitted")
		}
	}
	for i := 1; i < 4; i++ {
		go execute(i)
	}
	time.Sleep(500 * time.Millisecond) // 25 windows
	if n := sbatches(); n != 1 {
		t.Errorf("%d sbatch calls while the first task was PENDING, want 1 (the later executions held open)", n)
	}
	// A call cancelled while its batch is held returns at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error)
	go func() {
		_, _, err := s.Execute(ctx, counterJob(t, 9, 1, false, 0))
		cancelled <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-cancelled:
		if err == nil || !strings.Contains(err.Error(), "cancelled before submission") {
			t.Errorf("cancelled while held: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a call cancelled while its batch was held did not return")
	}
	os.Remove(hold)
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	log, _ := os.ReadFile(filepath.Join(fake, "sbatch.log"))
	if lines := strings.Split(strings.TrimSpace(string(log)), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "--array=0-3 ") {
		t.Errorf("sbatch calls:\n%s\nwant 2, the second with the 4 held executions (one withdrawn)", log)
	}
}

// TestSlurmPackedCancel: cancelling a stage packed with others withdraws
// it: its task stops it (the stage watches its context) and runs the next
// stage on, nothing is scancelled; cancelling every call of a task
// scancels it.
func TestSlurmPackedCancel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cancelBoth bool
	}{{name: "one of two"}, {name: "both", cancelBoth: true}} {
		t.Run(tc.name, func(t *testing.T) {
			s, fake := fakeExecutor(t, 2, 2, 20*time.Second)
			ctx, cancel := context.WithCancel(context.Background())
			other := context.Background()
			if tc.cancelBoth {
				other = ctx
			}
			errs := make(chan error, 2)
			ctxs := []context.Context{ctx, other}
			for i, job := range []Job{counterJob(t, 1, 1, false, 60_000), counterJob(t, 2, 1, false, 300)} {
				go func() {
					time.Sleep(time.Duration(i) * 50 * time.Millisecond) // the slow stage goes first in the task
					_, _, err := s.Execute(ctxs[i], job)
					errs <- err
				}()
			}
			for len(tempFiles(t, s.Cache.Dir())) == 0 || !fileHas(filepath.Join(fake, "sbatch.log"), "\n") {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			t0 := time.Now()
			cancel()
			slow, quick := <-errs, <-errs
			sc, _ := os.ReadFile(filepath.Join(fake, "scancel.log"))
			if !tc.cancelBoth {
				if slow == nil || !strings.Contains(slow.Error(), "withdrawn from task") || quick != nil || len(sc) > 0 {
					t.Errorf("cancelled: %v; other: %v; scancel %q; want the first withdrawn, the other done, no scancel", slow, quick, sc)
				}
				if took := time.Since(t0); took > 10*time.Second {
					t.Errorf("the stage after the withdrawn one ended %s after the cancel: not stopped", took)
				}
				return
			}
			if slow == nil || quick == nil || strings.Count(string(sc), "\n") != 1 || !strings.Contains(slow.Error()+quick.Error(), "scancel "+strings.TrimSpace(string(sc))) {
				t.Errorf("both cancelled: %v / %v; scancel %q; want one scancel of the task, by the last call", slow, quick, sc)
			}
		})
	}
}

func fileHas(path, s string) bool {
	b, _ := os.ReadFile(path)
	return strings.Contains(string(b), s)
}
