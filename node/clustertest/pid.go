package clustertest

// Pid returns the process id of the running process, or 0 when it was
// never started or has been killed. Benchmarks read /proc/PID with it; a
// test must signal its processes through Proc, never by this id.
func (p *Proc) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}
