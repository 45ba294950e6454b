package runner

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/stages"
)

// ErrOverBudget is wrapped by Run's error when a stage's memory estimate
// alone exceeds the run's memory budget. Run then returns before anything
// runs or is recorded: the experiment is invalid on this machine.
var ErrOverBudget = errors.New("over the memory budget")

// AvailableMemory is the MemAvailable of /proc/meminfo in bytes (what the
// kernel estimates can be allocated without swapping), or 0 where that
// cannot be read.
func AvailableMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return memAvailable(string(b))
}

// memAvailable reads the "MemAvailable: N kB" line of a /proc/meminfo, 0
// if there is none.
func memAvailable(meminfo string) int64 {
	for _, line := range strings.Split(meminfo, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "MemAvailable:" && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb > 0 {
				return kb << 10
			}
		}
	}
	return 0
}

// memBudget is the budget a run enforces, 0 meaning none: opt.MemBudget,
// else the available memory; none under a remote executor, whose cluster
// admits each job by its own estimate.
func memBudget(opt Options) int64 {
	if r, ok := opt.Executor.(remote); ok && r.remote() {
		return 0
	}
	if opt.MemBudget > 0 {
		return opt.MemBudget
	}
	return AvailableMemory()
}

// checkBudget refuses a plan with an instance whose memory estimate
// exceeds budget (0: no limit), naming every such instance, its estimate,
// the budget (given, or the machine's available memory) and the params
// that drive the estimate.
func checkBudget(p *experiments.Plan, budget int64, given bool) error {
	if budget <= 0 {
		return nil
	}
	if p.MaxMemBytes() <= budget {
		return nil // no instance is over: no pass over them
	}
	from := "the machine's available memory"
	if given {
		from = "--mem"
	}
	var errs []error
	for insts, err := range p.Windows() {
		if err != nil {
			return err
		}
		for _, inst := range insts {
			est := inst.Stage.Resources(inst.Params).MemBytes
			if est <= budget {
				continue
			}
			at := inst.Name
			if cell := p.CellLabel(inst); cell != "" {
				at += "@" + cell
			}
			errs = append(errs, fmt.Errorf("stage %s needs an estimated %s of memory, over the budget of %s (%s): %s, or raise the budget (run --mem)",
				at, cache.HumanBytes(est), cache.HumanBytes(budget), from, lowerAdvice(inst.Stage, inst.Params)))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrOverBudget, errors.Join(errs...))
}

// lowerAdvice names the params to lower: the integer params that drive
// s's memory estimate, the largest saving first, or else all its params.
func lowerAdvice(s stages.Stage, p stages.Params) string {
	if d := drivers(s, p); len(d) > 0 {
		return "lower param " + strings.Join(d, " or ")
	}
	return "its params are " + strings.Join(slices.Sorted(maps.Keys(p)), ", ")
}

// drivers are the integer params of an instance whose value set to 1
// lowers its memory estimate, by the bytes that saves (largest first),
// then by name.
func drivers(s stages.Stage, p stages.Params) []string {
	est := s.Resources(p).MemBytes
	saved := map[string]int64{}
	for name, v := range p {
		if i, ok := v.(int); ok && i > 1 {
			q := maps.Clone(p)
			q[name] = 1
			if d := est - s.Resources(q).MemBytes; d > 0 {
				saved[name] = d
			}
		}
	}
	names := slices.Collect(maps.Keys(saved))
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(saved[b], saved[a]), cmp.Compare(a, b)) })
	return names
}
