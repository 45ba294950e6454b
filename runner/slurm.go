package runner

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

// Slurm runs every stage execution as one Slurm batch job. The job runs
// `eigenlab exec-stage JOBFILE` (ExecStage) on a compute node that sees the
// same cache directory: it reads the job file the executor wrote into the
// cache's temp dir (stage kind, version, canonical params and input
// digests by name: everything that defines the action, see actionKey),
// loads the inputs from the cache, runs the stage, stores the outputs as
// blobs (atomic renames, so concurrent writers of one digest are harmless)
// and writes a result file (output digests and sizes, wall and CPU time,
// peak RSS, host, job id, or the stage's error).
//
// Execute submits with `sbatch --parsable` and waits for the result,
// polling the result file and, shared by all jobs in flight, squeue; it
// returns the outputs as artifacts over the cache blobs (arrays larger
// than 1 MiB as ArrayFiles, so nothing big is read back into the runner)
// with the job's Usage, whose Host names the node and the job id. The
// scheduler then stores them (a no-op: the blobs are there) and records
// the execution like a local one, with executor "slurm". A cancelled
// context scancels the job. A failed job (stage error, non-zero exit,
// out of memory, cancelled, node failure) gives an error naming the job
// id, its state and the tail of its log. A job leaves nothing but files in
// the cache's temp dir, which Execute removes (or `eigenlab gc` after an
// hour), and complete blobs.
//
// The cache must be on a file system shared by the runner and the nodes;
// the cache's own guarantees (DESIGN.md, cache.Open) then hold as far as
// that file system keeps rename atomic. The runner's -j bounds the jobs
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

	mu     sync.Mutex
	active map[string]bool    // job ids in flight
	states map[string]jobInfo // the last squeue snapshot of them
	polled time.Time
}

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

// Execute implements Executor: one sbatch job per call. See Slurm.
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
	base := strings.TrimSuffix(jobPath, ".job.json")
	resultPath, logPath := base+".result.json", base+".log"
	keep := false // the log of a failed job stays for GC, for a closer look
	defer func() {
		os.Remove(jobPath)
		os.Remove(resultPath)
		if info, err := os.Stat(logPath); !keep || err == nil && info.Size() == 0 {
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

	id, err := s.submit(ctx, job, label, exe, jobPath, logPath)
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

// submit runs sbatch and returns the job id.
func (s *Slurm) submit(ctx context.Context, job Job, label, exe, jobPath, logPath string) (string, error) {
	res := job.Stage.Resources(job.Params)
	args := []string{"--parsable", "--job-name=" + label,
		"--cpus-per-task=" + strconv.Itoa(max(res.Threads, 1)),
		"--output=" + logPath, "--error=" + logPath}
	if res.MemBytes > 0 {
		args = append(args, fmt.Sprintf("--mem=%dM", (res.MemBytes+1<<20-1)>>20))
	}
	if s.Partition != "" {
		args = append(args, "--partition="+s.Partition)
	}
	if wd, err := os.Getwd(); err == nil {
		args = append(args, "--chdir="+wd) // relative file params resolve as here
	}
	args = append(args, "--wrap=exec "+shellQuote(exe)+" exec-stage "+shellQuote(jobPath))
	// Submission must not be cut short by ctx: a job submitted but not
	// known to us could not be cancelled.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(sctx, "sbatch", args...)
	cmd.Env = jobEnv()
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
	if ctx.Err() != nil {
		s.cancel(id)
		return "", fmt.Errorf("job %s: cancelled: %w", id, ctx.Err())
	}
	return id, nil
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

// track adds or removes a job from the set squeue is asked about.
func (s *Slurm) track(id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		s.active = map[string]bool{}
	}
	if on {
		s.active[id] = true
		s.polled = time.Time{} // a new job is not in the snapshot
	} else {
		delete(s.active, id)
	}
}

// state returns squeue's view of job id, from one squeue call for every
// job in flight that is at most a poll interval old; State "" means squeue
// no longer knows the job (it ended a while ago).
func (s *Slurm) state(ctx context.Context, id string) (jobInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.polled) < 500*time.Millisecond {
		return s.states[id], nil
	}
	ids := make([]string, 0, len(s.active)+1)
	for j := range s.active {
		ids = append(ids, j)
	}
	if !s.active[id] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := slurmCmd(qctx, "squeue", "--noheader", "--states=all",
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

// cancel scancels job id, whatever ctx says.
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
