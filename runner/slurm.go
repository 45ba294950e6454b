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

// Slurm runs stage executions as tasks of Slurm job arrays. A task runs
// `eigenlab exec-stage JOBFILE...` (ExecStages) on a compute node that
// sees the same cache directory: for each job file the executor wrote
// into the cache's temp dir (stage kind, version, canonical params and
// input digests by name: everything that defines the action, see
// actionKey) it loads the inputs from the cache, runs the stage, stores
// the outputs as blobs (atomic renames, so concurrent writers of one
// digest are harmless) and writes that execution's result file (output
// digests and sizes, wall and CPU time, peak RSS, host, job id, or the
// stage's error).
//
// Execute does not submit alone. The calls that ask for the same
// resources (--cpus-per-task, --mem) gather in one batch that becomes one
// `sbatch --parsable --array=0-K`: the batch goes Window after its first
// call, or at once when Batch calls wait in it, but while a task we
// submitted earlier with the same resources is still PENDING in Slurm's
// queue the batch stays open (the cluster is busy with our own work, so
// holding costs no throughput) and goes when none is. A sweep of many
// short stages thus costs one submission per scheduling round, not one
// per stage. Each task of the array runs up to Pack of the batch's job
// files one after another (see Pack for the trade-off), so a short stage
// does not pay a scheduling wait and a process start of its own.
//
// Each call then waits for its own stage, polling its result file and,
// shared by all tasks in flight, `squeue -r`; it returns the outputs as
// artifacts over the cache blobs (arrays larger than 1 MiB as ArrayFiles,
// so nothing big is read back into the runner) with the stage's Usage,
// whose Host names the node and the task's job id ARRAYID_INDEX, followed
// by "stage I/N" when the task runs N stages. The scheduler then stores
// them (a no-op: the blobs are there) and records the execution like a
// local one, with executor "slurm". A failed stage (its error, out of
// memory, cancelled, node failure) fails its own execution, with an error
// naming the task, its state and the tail of its log; the other tasks of
// the array and the other stages of its task run on. A cancelled context
// withdraws the call's job file: its task skips it, or stops it if it is
// running and the stage watches its context; the task is scancelled when
// no call waits on it any more (at once for a task of one stage). A task
// leaves nothing but files in the cache's temp dir, which Execute removes
// (or `eigenlab gc` after an hour), and complete blobs.
//
// The cache must be on a file system shared by the runner and the nodes;
// the cache's own guarantees (DESIGN.md, cache.Open) then hold as far as
// that file system keeps rename atomic. The runner's -j bounds the stages
// in flight; Slurm queues and places the tasks.
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
	// array before the array is submitted, unless tasks of ours with the
	// same resources are still queued; 0 means DefaultWindow.
	Window time.Duration
	// Pack is the most stages one task runs, one after another within the
	// task's CPUs: a batch of n executions becomes ceil(n/Pack) tasks of
	// nearly equal size. Packing saves each short stage the cluster's
	// scheduling wait and a process start (about a second and 0.3 s on
	// the local cluster) but runs the stages of a task serially, so a
	// long stage delays the others packed with it, and a batch smaller
	// than the cluster's free CPUs leaves some idle. Only stages with equal
	// declared resources share a task; nothing estimates durations, so
	// set Pack to 1 for sweeps of long stages. 0 means DefaultPack.
	Pack int

	mu      sync.Mutex
	active  map[string]*slurmTask // tasks in flight, by ARRAYID_INDEX
	states  map[string]jobInfo    // the last squeue snapshot of them
	polled  time.Time
	stale   bool             // a task was submitted since the snapshot
	sending map[arrayKey]int // sbatch calls under way, by resources

	bmu     sync.Mutex
	pending map[arrayKey]*arrayBatch // batches gathering executions
}

// DefaultWindow is Slurm.Window's default: short beside the second or so a
// cluster takes to start a job, long enough for the executions the runner
// starts together (when an array's tasks end together) to share an array.
const DefaultWindow = 50 * time.Millisecond

// DefaultPack is Slurm.Pack's default, chosen by measurement on the local
// single-node cluster (2 CPUs, tiny planted-sweep stages of ~25 ms, -j 64):
// 200 stages took 131 s unpacked, 13.5 s at 16 a task, 22 s at 64 (fewer,
// longer tasks leave CPUs idle while a few run serially).
const DefaultPack = 16

// holdRecheck is how often a batch held open looks again whether tasks of
// its resources are still queued (it reads the squeue snapshot the
// waiting calls keep fresh; it runs no command).
const holdRecheck = 100 * time.Millisecond

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

// Execute implements Executor: one stage of a task of a job array per
// call. See Slurm.
func (s *Slurm) Execute(ctx context.Context, job Job) (stages.Outputs, Usage, error) {
	label := cmp.Or(job.Label, job.Stage.Kind())
	fail := func(err error) (stages.Outputs, Usage, error) {
		return nil, Usage{}, fmt.Errorf("slurm: %s: %w", label, err)
	}
	exe, err := s.exe()
	if err != nil {
		return fail(err)
	}
	jobPath, err := s.writeJob(job, label)
	if err != nil {
		return fail(err)
	}
	resultPath := strings.TrimSuffix(jobPath, ".job.json") + ".result.json"
	defer func() {
		os.Remove(jobPath)
		os.Remove(resultPath)
	}()
	t, pos := s.submit(ctx, resourceKey(job), exe, label, jobPath)
	if t == nil {
		return fail(pos.err)
	}
	outs, u, err := s.collect(ctx, t, pos.ref(t), resultPath)
	cancelled := err != nil && ctx.Err() != nil
	if note := s.release(t, jobPath, cancelled, err != nil); note != "" {
		err = fmt.Errorf("%w (%s)", err, note)
	}
	if err != nil {
		return nil, u, fmt.Errorf("slurm: %s: %w", label, err)
	}
	return outs, u, nil
}

// writeJob writes the job file of job into the cache's temp dir and
// returns its absolute path; the result file goes next to it.
func (s *Slurm) writeJob(job Job, label string) (string, error) {
	dir, err := filepath.Abs(s.Cache.Dir())
	if err != nil {
		return "", err
	}
	jf, err := os.CreateTemp(s.Cache.TempDir(), "slurm-*.job.json")
	if err != nil {
		return "", err
	}
	jobPath, err := filepath.Abs(jf.Name())
	if err != nil {
		jf.Close()
		os.Remove(jf.Name())
		return "", err
	}
	spec := slurmJob{Cache: dir, Label: label, Kind: job.Stage.Kind(), Version: stages.VersionOf(job.Stage, job.Params),
		Params: map[string]string{}, Inputs: map[string]string{},
		StreamAbove: cmp.Or(s.StreamAbove, DefaultStreamAbove),
		Result:      strings.TrimSuffix(jobPath, ".job.json") + ".result.json"}
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
		os.Remove(jobPath)
		return "", fmt.Errorf("writing the job file: %w", err)
	}
	return jobPath, nil
}

// collect waits for the stage at ref to write its result and turns the
// result into outputs and Usage, or an error naming ref.
func (s *Slurm) collect(ctx context.Context, t *slurmTask, ref, resultPath string) (stages.Outputs, Usage, error) {
	info, err := s.wait(ctx, t.id, resultPath)
	if err != nil {
		return nil, Usage{}, fmt.Errorf("job %s: %w", ref, err)
	}
	res, err := readResult(resultPath)
	if err != nil {
		return nil, Usage{}, fmt.Errorf("job %s %s%s: %v%s", ref, info.State, reasonNote(info, t.id), err, logTail(t.log))
	}
	host := cmp.Or(res.Host, info.Node, "?")
	u := Usage{Wall: res.WallNS, CPU: res.CPUNS, PeakRSS: res.PeakRSS, Host: fmt.Sprintf("%s (slurm job %s)", host, ref)}
	if res.Error != "" {
		return nil, u, fmt.Errorf("slurm job %s on %s: %s%s", ref, host, res.Error, logTail(t.log))
	}
	outs, err := s.outputs(res)
	if err != nil {
		return nil, u, fmt.Errorf("job %s: %w", ref, err)
	}
	return outs, u, nil
}

// arrayKey is what the tasks of one job array share: their resources.
type arrayKey struct {
	cpus  int
	memMB int64 // 0: no --mem
}

// resourceKey is the array a job goes into: its declared resources.
func resourceKey(job Job) arrayKey {
	res := job.Stage.Resources(job.Params)
	key := arrayKey{cpus: max(res.Threads, 1)}
	if res.MemBytes > 0 {
		key.memMB = (res.MemBytes + 1<<20 - 1) >> 20
	}
	return key
}

// arrayBatch gathers executions into one job array until it is submitted.
type arrayBatch struct {
	key    arrayKey
	exe    string   // the eigenlab binary, absolute
	dir    string   // the cache's temp dir, absolute: the tasks' logs go there
	jobs   []string // job files, in the order the calls joined
	labels []string
	timer  *time.Timer
	done   chan struct{} // closed once places is set
	places []place       // where each job file runs, once submitted
}

// place is one execution's place in a submitted array: its task and its
// position in the task (or the submission's error, with a nil task).
type place struct {
	task *slurmTask
	pos  int // 0-based
	err  error
}

// ref names the execution's stage: the task id, and "stage I/N" in a task
// of several stages.
func (p place) ref(t *slurmTask) string {
	if t.stages == 1 {
		return t.id
	}
	return fmt.Sprintf("%s stage %d/%d", t.id, p.pos+1, t.stages)
}

// slurmTask is one task of a submitted array.
type slurmTask struct {
	id     string // ARRAYID_INDEX, as squeue -r and scancel name it
	log    string // the task's stdout and stderr, shared by its stages
	key    arrayKey
	stages int       // job files it runs
	added  time.Time // when it was submitted
	open   int       // calls still waiting on it (Slurm.mu)
	keep   bool      // a stage failed: its log stays, for gc (Slurm.mu)
}

// submit adds the job file to the batch of its resources, waits until the
// batch is submitted and returns the execution's task and place in it, or
// a nil task and an error. If ctx ends first (a batch may be held open a
// while), it returns at once; the batch still goes, with the job file
// withdrawn, and the call's place is released once it is known.
func (s *Slurm) submit(ctx context.Context, key arrayKey, exe, label, jobPath string) (*slurmTask, place) {
	b, i := s.join(key, exe, label, jobPath)
	select {
	case <-b.done:
	case <-ctx.Done():
		os.Remove(jobPath)
		go func() {
			<-b.done
			if p := b.places[i]; p.task != nil {
				s.release(p.task, jobPath, true, false)
			}
		}()
		return nil, place{err: fmt.Errorf("cancelled before submission: %w", ctx.Err())}
	}
	p := b.places[i]
	return p.task, p
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
		b.timer = time.AfterFunc(cmp.Or(s.Window, DefaultWindow), func() { s.ripe(b) })
	}
	i := len(b.jobs)
	b.jobs = append(b.jobs, jobPath)
	b.labels = append(b.labels, label)
	full := len(b.jobs) >= cmp.Or(s.Batch, runtime.NumCPU())
	if full {
		delete(s.pending, key) // taken under the lock: no call joins a full batch
	}
	s.bmu.Unlock()
	if full {
		s.send(b)
	}
	return b, i
}

// ripe submits batch b when its window has passed, unless a task of ours
// with its resources is still queued: then b stays open, gathering more
// executions, and looks again in holdRecheck.
func (s *Slurm) ripe(b *arrayBatch) {
	if s.queued(b.key) {
		b.timer.Reset(holdRecheck)
		return
	}
	s.flush(b)
}

// queued reports whether a task in flight with resources key is PENDING
// in the last squeue snapshot, or was submitted after it or is being
// submitted.
func (s *Slurm) queued(key arrayKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sending[key] > 0 {
		return true // its tasks will be PENDING
	}
	for id, t := range s.active {
		if t.key != key {
			continue
		}
		if info, seen := s.states[id]; info.State == "PENDING" || !seen && t.added.After(s.polled) {
			return true
		}
	}
	return false
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
	s.send(b)
}

// send submits batch b, already taken out of pending, as one job array.
func (s *Slurm) send(b *arrayBatch) {
	b.timer.Stop()
	chunks := packed(b.jobs, cmp.Or(s.Pack, DefaultPack))
	s.mu.Lock()
	if s.sending == nil {
		s.sending = map[arrayKey]int{}
	}
	s.sending[b.key]++
	s.mu.Unlock()
	id, err := s.sbatch(b, chunks)
	s.mu.Lock()
	s.sending[b.key]--
	s.mu.Unlock()
	b.places = make([]place, 0, len(b.jobs))
	if err != nil {
		for range b.jobs {
			b.places = append(b.places, place{err: err})
		}
		close(b.done)
		return
	}
	now := time.Now()
	s.mu.Lock()
	if s.active == nil {
		s.active = map[string]*slurmTask{}
	}
	for i, c := range chunks {
		t := &slurmTask{id: id + "_" + strconv.Itoa(i), key: b.key, stages: len(c), added: now, open: len(c)}
		t.log = filepath.Join(b.dir, "slurm-"+t.id+".log")
		s.active[t.id] = t
		for pos := range c {
			b.places = append(b.places, place{task: t, pos: pos})
		}
	}
	s.stale = true // the new tasks are not in the snapshot
	s.mu.Unlock()
	close(b.done)
}

// packed splits jobs, in order, into ceil(len/pack) runs of nearly equal
// length: the job files of each task.
func packed(jobs []string, pack int) [][]string {
	n := (len(jobs) + pack - 1) / pack
	chunks := make([][]string, 0, n)
	for i := range n {
		chunks = append(chunks, jobs[i*len(jobs)/n:(i+1)*len(jobs)/n])
	}
	return chunks
}

// release ends a call's wait on task t. A cancelled call first withdraws
// its job file, so that the task skips or stops that stage; the last call
// to leave removes the task's log (unless a stage failed) and, if it was
// cancelled, scancels the task, which nobody waits on any more. It
// returns what a cancelled call's error should add.
func (s *Slurm) release(t *slurmTask, jobPath string, cancelled, failed bool) string {
	if cancelled {
		os.Remove(jobPath)
	}
	s.mu.Lock()
	t.open--
	t.keep = t.keep || failed && !cancelled
	last, keep := t.open == 0, t.keep
	if last {
		delete(s.active, t.id)
	}
	s.mu.Unlock()
	if last {
		if info, err := os.Stat(t.log); !keep || err == nil && info.Size() == 0 {
			os.Remove(t.log)
		}
	}
	switch {
	case !cancelled:
		return ""
	case last:
		s.cancel(t.id)
		return "scancel " + t.id
	default:
		return "withdrawn from task " + t.id + ", whose other stages run on"
	}
}

// sbatch submits b as one job array whose task i runs the job files
// chunks[i], and returns its job id. The script comes on stdin (no size
// limit of a command-line argument) and picks the task's job files by
// $SLURM_ARRAY_TASK_ID.
func (s *Slurm) sbatch(b *arrayBatch, chunks [][]string) (string, error) {
	name := b.labels[0]
	if len(b.labels) > 1 {
		name += fmt.Sprintf(" +%d", len(b.labels)-1)
	}
	logs := filepath.Join(b.dir, "slurm-%A_%a.log")
	args := []string{"--parsable", "--job-name=" + name, "--array=0-" + strconv.Itoa(len(chunks)-1),
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
	cmd.Stdin = strings.NewReader(arrayScript(b.exe, chunks))
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

// arrayScript is the batch script of an array over chunks: task i execs
// `exe exec-stage chunks[i]...`.
func arrayScript(exe string, chunks [][]string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\ncase \"$SLURM_ARRAY_TASK_ID\" in\n")
	for i, c := range chunks {
		b.WriteString(strconv.Itoa(i) + ") set --")
		for _, j := range c {
			b.WriteString(" " + shellQuote(j))
		}
		b.WriteString(" ;;\n")
	}
	b.WriteString("*) echo \"no job files for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 1 ;;\nesac\n")
	b.WriteString("exec " + shellQuote(exe) + " exec-stage \"$@\"\n")
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

// wait returns when the stage has written its result or its task reached
// a final state, or with an error when ctx ends first (the caller
// withdraws the stage, see release).
func (s *Slurm) wait(ctx context.Context, id, resultPath string) (jobInfo, error) {
	delay, maxDelay := 20*time.Millisecond, cmp.Or(s.Poll, 200*time.Millisecond)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return jobInfo{}, fmt.Errorf("cancelled: %w", ctx.Err())
		case <-timer.C:
		}
		if ctx.Err() != nil {
			continue
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

// state returns squeue's view of task id (ARRAYID_INDEX), from one
// `squeue -r` call, listing array tasks one by one, for the arrays of
// every task in flight that is at most a poll interval old (unless tasks
// were submitted since); State "" means squeue no longer knows the task
// (it ended a while ago).
func (s *Slurm) state(ctx context.Context, id string) (jobInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stale && time.Since(s.polled) < 500*time.Millisecond {
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
	polled := time.Now() // tasks submitted from here on may be missing
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
	s.polled, s.stale = polled, false
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

// errWithdrawn is why a job file is not run or its stage is stopped: the
// runner removed it (the call was cancelled, see Slurm.release).
var errWithdrawn = errors.New("withdrawn by the runner (cancelled)")

// withdrawnEvery is how often a running stage looks whether its job file
// was withdrawn.
const withdrawnEvery = 250 * time.Millisecond

// ExecStages runs job files one after another in this process, as a task
// of a Slurm array does (`eigenlab exec-stage FILE...`), each with
// ExecStage: a stage that fails or cannot run leaves its error in its own
// result (or, if it cannot write one, on log) and the task goes on to the
// next file; a file the runner withdrew is skipped. It returns how many
// stages failed. In a task of several stages, each stage's line on log
// says which it is, so the shared log reads stage by stage.
func ExecStages(ctx context.Context, paths []string, log io.Writer) (failed int) {
	for i, p := range paths {
		if len(paths) > 1 {
			fmt.Fprintf(log, "exec-stage: stage %d/%d: %s\n", i+1, len(paths), filepath.Base(p))
		}
		stageErr, err := ExecStage(ctx, p)
		switch {
		case errors.Is(err, errWithdrawn):
			fmt.Fprintf(log, "exec-stage: %s: skipped: %v\n", filepath.Base(p), err)
		case err != nil:
			fmt.Fprintln(log, err)
			failed++
		case stageErr != nil:
			failed++
		}
	}
	return failed
}

// ExecStage runs the job file at path as a Slurm task does: it loads the
// inputs from the cache the file names, runs the stage in this process,
// stores the outputs as blobs and writes the result file by an atomic
// rename. The stage's own failure is written into the result and
// returned as stageErr; err is a failure to read the job or write the
// result, which the runner sees as a stage without a result (the task's
// log shows err), or errWithdrawn when the job file is gone before or
// while the stage runs (the stage's context is then cancelled, and no
// result is written). Usage is measured in this process: CPU is the
// stage's own, peak RSS the process's so far (in a task of several
// stages, an upper bound of this stage's).
func ExecStage(ctx context.Context, path string) (stageErr, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errWithdrawn
	}
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
	sctx, stop := watchWithdrawn(ctx, path)
	saved, u, stageErr := execJob(sctx, c, &job)
	stop()
	if errors.Is(context.Cause(sctx), errWithdrawn) {
		return nil, errWithdrawn
	}
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

// watchWithdrawn returns a context cancelled with errWithdrawn once the
// job file at path is gone, looking every withdrawnEvery until stop.
func watchWithdrawn(ctx context.Context, path string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(withdrawnEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
					cancel(errWithdrawn)
					return
				}
			}
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
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
