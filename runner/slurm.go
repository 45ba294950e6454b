package runner

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/internal/atomicfile"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// Slurm runs every stage execution as one task of a Slurm job array. The
// task runs `eigenlab exec-stage JOBFILE` (ExecStage) on a compute node
// that sees the same cache directory: it reads the job file the executor
// wrote into the cache's temp dir (stage kind, version, canonical params
// and input digests by name: everything that defines the action, see
// actionKey), loads the inputs from the cache, runs the stage, stores the
// outputs as blobs (atomic renames, so concurrent writers of one digest
// are harmless) and writes a result file (output digests and sizes, wall
// and CPU time, peak RSS, host, job id, or the stage's error).
//
// Execute does not submit alone: the calls that arrive within Window of
// the first and ask for the same resources (--cpus-per-task, --mem) are
// gathered into one `sbatch --parsable --array=0-K` whose script hands
// task i the i-th job file, so a sweep of many short stages costs one
// submission per ready batch of stages, not one per stage; a batch goes
// at once when Batch calls wait in it. Each call then waits for its own
// task, ARRAYID_INDEX, polling its result file and, shared by all tasks
// in flight, `squeue -r`; it returns the outputs as artifacts over the
// cache blobs (arrays larger than 1 MiB as ArrayFiles, so nothing big is
// read back into the runner) with the task's Usage, whose Host names the
// node and the task's job id. The scheduler then stores them (a no-op:
// the blobs are there) and records the execution like a local one, with
// executor "slurm". A cancelled context scancels its own task only. A
// failed task (stage error, non-zero exit, out of memory, cancelled, node
// failure) fails its own execution, with an error naming the task's job
// id, its state and the tail of its log; the other tasks of its array run
// on. A task leaves nothing but files in the cache's temp dir, which
// Execute removes (or `eigenlab gc` after an hour), and complete blobs.
//
// The cache must be on a file system shared by the runner and the nodes;
// the cache's own guarantees (DESIGN.md, cache.Open) then hold as far as
// that file system keeps rename atomic. The runner's -j bounds the tasks
// in flight; Slurm queues and places them.
type Slurm struct {
	Cache *cache.Cache
	// Exe is the eigenlab binary the jobs run; it must exist at the same
	// path on the nodes. "" means this process's executable.
	Exe string
	// Partition is passed as --partition when not "".
	Partition string
	// StreamAbove is the input size above which the job hands its stage an
	// ArrayFile instead of a decoded array (Runner.StreamAbove).
	StreamAbove int64
	// Poll is the longest wait between two looks at a job's result file;
	// 0 means 200 ms. The first looks come sooner (from 20 ms), since most
	// of a short job's cost is the wait. squeue, which asks the controller,
	// is run at most twice a second for all the jobs in flight together.
	Poll time.Duration
	// Batch is the most executions one job array holds: a batch is
	// submitted as soon as this many wait in it. Set it to the runner's
	// -j, the most executions in flight; 0 means runtime.NumCPU(), the
	// runner's default.
	Batch int
	// Window is the longest an execution waits for others to share its
	// array before the array is submitted; 0 means DefaultWindow.
	Window time.Duration

	mu     sync.Mutex
	active map[string]bool    // task ids in flight (ARRAYID_INDEX)
	states map[string]jobInfo // the last squeue snapshot of them
	polled time.Time

	bmu     sync.Mutex
	pending map[arrayKey]*arrayBatch // batches gathering executions
}

// DefaultWindow is Slurm.Window's default: short beside the second or so a
// cluster takes to start a job, long enough for the executions the runner
// starts together (when an array's tasks end together) to share an array.
const DefaultWindow = 50 * time.Millisecond

// jobInfo is what squeue says about one job.
type jobInfo struct{ State, Node, Reason string }

// terminal reports whether the state is final (squeue's long names).
func (j jobInfo) terminal() bool {
	switch j.State {
	case "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
		"BOOT_FAIL", "DEADLINE", "PREEMPTED", "SPECIAL_EXIT":
		return true
	}
	return false
}

// Name implements Executor.
func (*Slurm) Name() string { return "slurm" }

func (*Slurm) remote() bool { return true }

// Check makes sure jobs can be submitted before anything runs: the Slurm
// client commands are on PATH, the controller answers (SLURM_CONF, when
// set, names the cluster's configuration), the partition exists and the
// eigenlab binary can be found. The error says which and how to fix it.
func (s *Slurm) Check(ctx context.Context) error {
	for _, c := range []string{"sbatch", "squeue", "scancel", "sinfo"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("slurm: %s is not on PATH: install the Slurm client (Debian: slurm-client) or use --executor local", c)
		}
	}
	if c := os.Getenv("SLURM_CONF"); c != "" {
		if _, err := os.Stat(c); err != nil {
			return fmt.Errorf("slurm: SLURM_CONF names no readable configuration: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	args := []string{"--noheader", "--format=%P %a"}
	if s.Partition != "" {
		args = append(args, "--partition="+s.Partition)
	}
	out, err := slurmCmd(ctx, "sinfo", args...)
	if err != nil {
		return fmt.Errorf("slurm: the cluster does not answer%s: %w", confNote(), err)
	}
	if s.Partition != "" && strings.TrimSpace(out) == "" {
		return fmt.Errorf("slurm: no partition %q in the cluster%s", s.Partition, confNote())
	}
	if _, err := s.exe(); err != nil {
		return err
	}
	return nil
}

func confNote() string {
	if c := os.Getenv("SLURM_CONF"); c != "" {
		return " (SLURM_CONF=" + c + ")"
	}
	if _, err := os.Stat("/etc/slurm/slurm.conf"); err != nil {
		return " (SLURM_CONF is not set and there is no /etc/slurm/slurm.conf; scripts/slurm-local.sh start DIR prints the SLURM_CONF of a local cluster)"
	}
	return ""
}

func (s *Slurm) exe() (string, error) {
	exe := s.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return "", fmt.Errorf("slurm: finding the eigenlab binary for the jobs: %w", err)
		}
	}
	exe, err := filepath.Abs(exe)
	if err == nil {
		_, err = os.Stat(exe)
	}
	if err != nil {
		return "", fmt.Errorf("slurm: the eigenlab binary for the jobs: %w", err)
	}
	return exe, nil
}

// slurmJob is the job file: everything exec-stage needs to recompute the
// action exactly, and where to put the result.
type slurmJob struct {
	Cache       string            `json:"cache"` // absolute
	Label       string            `json:"label"`
	Kind        string            `json:"kind"`
	Version     string            `json:"version"`
	Params      map[string]string `json:"params"` // name -> canonical text (stages.FormatValue)
	Inputs      map[string]string `json:"inputs"` // name -> digest
	StreamAbove int64             `json:"stream_above"`
	Result      string            `json:"result"` // absolute; written by rename
}

// slurmResult is the result file a job writes last.
type slurmResult struct {
	Host    string        `json:"host"`
	JobID   string        `json:"job_id"`
	Outputs []slurmOutput `json:"outputs,omitempty"`
	WallNS  time.Duration `json:"wall_ns"`
	CPUNS   time.Duration `json:"cpu_ns"`
	PeakRSS int64         `json:"peak_rss"` // bytes, getrusage of the job process
	Error   string        `json:"error,omitempty"`
}

type slurmOutput struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// readBackBelow is the size under which an output array is decoded into
// the runner rather than handed over as an ArrayFile over its blob.
const readBackBelow = 1 << 20

// Execute implements Executor: one task of a job array per call. See Slurm.
func (s *Slurm) Execute(ctx context.Context, job Job) (stages.Outputs, Usage, error) {
	label := cmp.Or(job.Label, job.Stage.Kind())
	fail := func(err error) (stages.Outputs, Usage, error) {
		return nil, Usage{}, fmt.Errorf("slurm: %s: %w", label, err)
	}
	exe, err := s.exe()
	if err != nil {
		return fail(err)
	}
	dir, err := filepath.Abs(s.Cache.Dir())
	if err != nil {
		return fail(err)
	}
	jf, err := os.CreateTemp(s.Cache.TempDir(), "slurm-*.job.json")
	if err != nil {
		return fail(err)
	}
	jobPath := jf.Name()
	if jobPath, err = filepath.Abs(jobPath); err != nil {
		jf.Close()
		return fail(err)
	}
	resultPath := strings.TrimSuffix(jobPath, ".job.json") + ".result.json"
	var logPath string // known once the array is submitted
	keep := false      // the log of a failed task stays for GC, for a closer look
	defer func() {
		os.Remove(jobPath)
		os.Remove(resultPath)
		if info, err := os.Stat(logPath); logPath != "" && (!keep || err == nil && info.Size() == 0) {
			os.Remove(logPath)
		}
	}()
	spec := slurmJob{Cache: dir, Label: label, Kind: job.Stage.Kind(), Version: stages.VersionOf(job.Stage, job.Params),
		Params: map[string]string{}, Inputs: map[string]string{},
		StreamAbove: cmp.Or(s.StreamAbove, DefaultStreamAbove), Result: resultPath}
	for _, line := range job.Params.Canonical() {
		name, value, _ := strings.Cut(line, "=")
		spec.Params[name] = value
	}
	for name, a := range job.Inputs {
		spec.Inputs[name] = a.Digest().String()
	}
	err = json.NewEncoder(jf).Encode(spec)
	if cerr := jf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(fmt.Errorf("writing the job file: %w", err))
	}

	t, err := s.submit(ctx, job, label, exe, jobPath)
	id := t.id
	logPath = t.log
	if err != nil {
		return fail(err)
	}
	s.track(id, true)
	defer s.track(id, false)
	info, err := s.wait(ctx, id, resultPath)
	if err != nil {
		keep = true
		return fail(fmt.Errorf("job %s: %w", id, err))
	}
	res, rerr := readResult(resultPath)
	if rerr != nil {
		keep = true
		return fail(fmt.Errorf("job %s %s%s: %v%s", id, info.State, reasonNote(info, id), rerr, logTail(logPath)))
	}
	u := Usage{Wall: res.WallNS, CPU: res.CPUNS, PeakRSS: res.PeakRSS,
		Host: fmt.Sprintf("%s (slurm job %s)", cmp.Or(res.Host, info.Node, "?"), id)}
	if res.Error != "" {
		keep = true
		return nil, u, fmt.Errorf("slurm job %s on %s: %s%s", id, cmp.Or(res.Host, info.Node, "?"), res.Error, logTail(logPath))
	}
	outs, err := s.outputs(res)
	if err != nil {
		return nil, u, fmt.Errorf("slurm: %s: job %s: %w", label, id, err)
	}
	return outs, u, nil
}

// arrayKey is what the tasks of one job array share: their resources.
type arrayKey struct {
	cpus  int
	memMB int64 // 0: no --mem
}

// arrayBatch gathers executions into one job array until it is submitted.
type arrayBatch struct {
	key    arrayKey
	exe    string   // the eigenlab binary, absolute
	dir    string   // the cache's temp dir, absolute: the tasks' logs go there
	jobs   []string // job files; task i runs jobs[i]
	labels []string
	timer  *time.Timer
	done   chan struct{} // closed once id or err is set
	id     string        // the array's job id
	err    error
}

// task is one execution's place in a submitted array.
type task struct {
	id  string // ARRAYID_INDEX, as squeue -r and scancel name it
	log string // the task's stdout and stderr
}

// submit adds the job file to the batch of its resources, waits until the
// batch is submitted and returns the execution's task. A task whose ctx
// ended meanwhile is scancelled (submission itself is not cut short: a
// job submitted but not known to us could not be cancelled).
func (s *Slurm) submit(ctx context.Context, job Job, label, exe, jobPath string) (task, error) {
	res := job.Stage.Resources(job.Params)
	key := arrayKey{cpus: max(res.Threads, 1)}
	if res.MemBytes > 0 {
		key.memMB = (res.MemBytes + 1<<20 - 1) >> 20
	}
	b, i := s.join(key, exe, label, jobPath)
	<-b.done
	if b.err != nil {
		return task{}, b.err
	}
	t := task{id: b.id + "_" + strconv.Itoa(i)}
	t.log = filepath.Join(b.dir, "slurm-"+t.id+".log")
	if ctx.Err() != nil {
		s.cancel(t.id)
		return t, fmt.Errorf("job %s: cancelled: %w", t.id, ctx.Err())
	}
	return t, nil
}

// join adds a job file to the pending batch of key, starting one (and the
// Window timer that submits it) if there is none, and submits the batch
// at once when it is full. It returns the batch and the job's index in it.
func (s *Slurm) join(key arrayKey, exe, label, jobPath string) (*arrayBatch, int) {
	s.bmu.Lock()
	b := s.pending[key]
	if b == nil {
		if s.pending == nil {
			s.pending = map[arrayKey]*arrayBatch{}
		}
		b = &arrayBatch{key: key, exe: exe, dir: filepath.Dir(jobPath), done: make(chan struct{})}
		s.pending[key] = b
		b.timer = time.AfterFunc(cmp.Or(s.Window, DefaultWindow), func() { s.flush(b) })
	}
	i := len(b.jobs)
	b.jobs = append(b.jobs, jobPath)
	b.labels = append(b.labels, label)
	full := len(b.jobs) >= cmp.Or(s.Batch, runtime.NumCPU())
	s.bmu.Unlock()
	if full {
		s.flush(b)
	}
	return b, i
}

// flush submits batch b unless that is done already (by the timer or by
// the call that filled it); once removed from pending it takes no more
// jobs.
func (s *Slurm) flush(b *arrayBatch) {
	s.bmu.Lock()
	if s.pending[b.key] != b {
		s.bmu.Unlock()
		return
	}
	delete(s.pending, b.key)
	s.bmu.Unlock()
	b.timer.Stop()
	b.id, b.err = s.sbatch(b)
	close(b.done)
}

// sbatch submits b as one job array and returns its job id. The script
// comes on stdin (no size limit of a command-line argument) and picks the
// task's job file by $SLURM_ARRAY_TASK_ID.
func (s *Slurm) sbatch(b *arrayBatch) (string, error) {
	name := b.labels[0]
	if len(b.labels) > 1 {
		name += fmt.Sprintf(" +%d", len(b.labels)-1)
	}
	logs := filepath.Join(b.dir, "slurm-%A_%a.log")
	args := []string{"--parsable", "--job-name=" + name, "--array=0-" + strconv.Itoa(len(b.jobs)-1),
		"--cpus-per-task=" + strconv.Itoa(b.key.cpus), "--output=" + logs, "--error=" + logs}
	if b.key.memMB > 0 {
		args = append(args, fmt.Sprintf("--mem=%dM", b.key.memMB))
	}
	if s.Partition != "" {
		args = append(args, "--partition="+s.Partition)
	}
	if wd, err := os.Getwd(); err == nil {
		args = append(args, "--chdir="+wd) // relative file params resolve as here
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sbatch", args...)
	cmd.Env = jobEnv()
	cmd.Stdin = strings.NewReader(arrayScript(b.exe, b.jobs))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sbatch: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "id;cluster" on federations
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("sbatch printed %q, not a job id", out)
	}
	return id, nil
}

// arrayScript is the batch script of an array over jobs: task i execs
// `exe exec-stage jobs[i]`.
func arrayScript(exe string, jobs []string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\nset --")
	for _, j := range jobs {
		b.WriteString(" \\\n  " + shellQuote(j))
	}
	b.WriteString("\nshift \"$SLURM_ARRAY_TASK_ID\"\nexec " + shellQuote(exe) + " exec-stage \"$1\"\n")
	return b.String()
}

// jobEnv is the environment the job inherits (sbatch exports it): this
// process's, less what makes eigenlab skip choosing its BLAS settings for
// the CPU it runs on, so that a node of another kind chooses its own.
func jobEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == "EIGENLAB_NO_REEXEC" || strings.HasPrefix(k, "OPENBLAS_") || k == "GOTOBLAS_MAIN_FREE"
	})
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// wait returns when the job has written its result or reached a final
// state, and scancels it if ctx ends first.
func (s *Slurm) wait(ctx context.Context, id, resultPath string) (jobInfo, error) {
	delay, maxDelay := 20*time.Millisecond, cmp.Or(s.Poll, 200*time.Millisecond)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			s.cancel(id)
			return jobInfo{}, fmt.Errorf("cancelled (scancel %s): %w", id, ctx.Err())
		case <-timer.C:
		}
		if _, err := os.Stat(resultPath); err == nil {
			return jobInfo{State: "COMPLETED"}, nil // or about to be: the result is its last act
		}
		info, err := s.state(ctx, id)
		if err != nil && ctx.Err() == nil {
			return jobInfo{}, err
		}
		if info.State == "" || info.terminal() {
			return info, nil // the caller reads the result, or says why there is none
		}
		delay = min(delay*3/2, maxDelay)
		timer.Reset(delay)
	}
}

// track adds or removes a task from the set squeue is asked about.
func (s *Slurm) track(id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		s.active = map[string]bool{}
	}
	if on {
		s.active[id] = true
		s.polled = time.Time{} // a new task is not in the snapshot
	} else {
		delete(s.active, id)
	}
}

// state returns squeue's view of task id (ARRAYID_INDEX), from one
// `squeue -r` call, listing array tasks one by one, for the arrays of
// every task in flight that is at most a poll interval old; State ""
// means squeue no longer knows the task (it ended a while ago).
func (s *Slurm) state(ctx context.Context, id string) (jobInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.polled) < 500*time.Millisecond {
		return s.states[id], nil
	}
	arrays := map[string]bool{}
	for t := range s.active {
		a, _, _ := strings.Cut(t, "_")
		arrays[a] = true
	}
	a, _, _ := strings.Cut(id, "_")
	arrays[a] = true
	ids := slices.Sorted(maps.Keys(arrays))
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := slurmCmd(qctx, "squeue", "--noheader", "--array", "--states=all",
		"--jobs="+strings.Join(ids, ","), "--format=%i|%T|%N|%r")
	if err != nil {
		if !strings.Contains(err.Error(), "Invalid job id") {
			return jobInfo{}, fmt.Errorf("squeue: %w", err)
		}
		out = "" // every job asked about has left squeue's memory
	}
	s.states = map[string]jobInfo{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "|")
		if len(f) == 4 {
			s.states[f[0]] = jobInfo{State: f[1], Node: f[2], Reason: f[3]}
		}
	}
	s.polled = time.Now()
	return s.states[id], nil
}

// cancel scancels job or task id, whatever ctx says.
func (s *Slurm) cancel(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	slurmCmd(ctx, "scancel", id)
}

// reasonNote describes why a job ended without a result: its reason and
// exit code as scontrol tells them, while it still remembers the job.
func reasonNote(info jobInfo, id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var parts []string
	if out, err := slurmCmd(ctx, "scontrol", "show", "job", "--oneliner", id); err == nil {
		for _, f := range strings.Fields(out) {
			if k, v, ok := strings.Cut(f, "="); ok && (k == "ExitCode" || k == "Reason" && v != "None") {
				parts = append(parts, strings.ToLower(k)+" "+v)
			}
		}
	} else if info.Reason != "" && info.Reason != "None" {
		parts = append(parts, "reason "+info.Reason)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// logTail is the end of a job's log, indented under a heading, or "".
func logTail(path string) string {
	const maxBytes, maxLines = 4 << 10, 20
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > maxBytes {
		f.Seek(-maxBytes, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return "\n  job log " + path + " (tail):\n    " + strings.Join(lines, "\n    ")
}

func slurmCmd(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return string(out), nil
}

func readResult(path string) (*slurmResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("the job wrote no result")
		}
		return nil, err
	}
	var r slurmResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("result file %s: %w", path, err)
	}
	return &r, nil
}

// outputs turns a job's result into artifacts over the blobs it stored:
// arrays above readBackBelow as ArrayFiles (checked by one streaming
// pass), anything else decoded and checked.
func (s *Slurm) outputs(res *slurmResult) (stages.Outputs, error) {
	outs := stages.Outputs{}
	for _, o := range res.Outputs {
		d, err := ndarray.ParseDigest(o.Digest)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		a, err := store{s.Cache}.input(d, readBackBelow)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		outs[o.Name] = a
	}
	return outs, nil
}

// ExecStage runs the job file at path as a Slurm job does: it loads the
// inputs from the cache the file names, runs the stage in this process,
// stores the outputs as blobs and writes the result file by an atomic
// rename. The stage's own failure is written into the result and
// returned as stageErr; err is a failure to read the job or write the
// result, which the runner sees as a job without a result (its log shows
// err). Usage is measured in this process: CPU and peak RSS are the job's
// own.
func ExecStage(ctx context.Context, path string) (stageErr, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("exec-stage: %w", err)
	}
	var job slurmJob
	if err := json.Unmarshal(b, &job); err != nil {
		return nil, fmt.Errorf("exec-stage: job file %s: %w", path, err)
	}
	if job.Result == "" || job.Cache == "" {
		return nil, fmt.Errorf("exec-stage: job file %s names no result or cache", path)
	}
	c, err := cache.Open(job.Cache)
	if err != nil {
		return nil, fmt.Errorf("exec-stage: %w", err)
	}
	host, _ := os.Hostname()
	res := slurmResult{Host: host, JobID: os.Getenv("SLURM_JOB_ID")}
	if a, i := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); a != "" && i != "" {
		res.JobID = a + "_" + i // as squeue -r and the runner name the task
	}
	saved, u, stageErr := execJob(ctx, c, &job)
	res.WallNS, res.CPUNS, res.PeakRSS = u.Wall, u.CPU, peakRSS()
	if stageErr != nil {
		res.Error = stageErr.Error()
	}
	for _, o := range saved {
		res.Outputs = append(res.Outputs, slurmOutput{o.Name, o.Digest.String(), o.Size})
	}
	out, err := json.Marshal(res)
	if err != nil {
		return stageErr, err
	}
	// The runner polls for this file: it must appear whole or not at all.
	err = atomicfile.Write(job.Result, atomicfile.UserMode, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	})
	if err != nil {
		return stageErr, fmt.Errorf("exec-stage: writing the result: %w", err)
	}
	return stageErr, nil
}

// execJob rebuilds the stage, params and inputs of job and runs it with
// the local executor, its ArrayFile outputs written into the cache's temp
// dir and adopted as blobs.
func execJob(ctx context.Context, c *cache.Cache, job *slurmJob) ([]cache.Output, Usage, error) {
	st, params, err := rebuild(job.Kind, job.Params)
	if err != nil {
		return nil, Usage{}, err
	}
	if v := stages.VersionOf(st, params); v != job.Version {
		return nil, Usage{}, fmt.Errorf("stage %s is version %s in this build on the node but the runner asked for version %s: use the same eigenlab binary on both", job.Kind, v, job.Version)
	}
	sto := store{c}
	in := stages.Inputs{}
	for name, text := range job.Inputs {
		d, err := ndarray.ParseDigest(text)
		if err != nil {
			return nil, Usage{}, fmt.Errorf("input %q: %w", name, err)
		}
		a, err := sto.input(d, job.StreamAbove)
		if err != nil {
			return nil, Usage{}, fmt.Errorf("input %q: %w", name, err)
		}
		in[name] = a
	}
	scratch := ndarray.NewScratch(c.TempDir())
	defer scratch.RemoveAll()
	outs, u, err := Local{}.Execute(ctx, Job{Stage: st, Inputs: in, Params: params, Scratch: scratch, Label: job.Label})
	if err != nil {
		return nil, u, err
	}
	saved, err := sto.put(outs, scratch)
	return saved, u, err
}
